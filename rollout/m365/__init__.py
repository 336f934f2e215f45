"""Microsoft 365: the plain-data interface (`types`) and the gateway that implements it (`gateway`).

Importing this package imports nothing heavy: O365 and msal are loaded only by the modules that use them, so
code that needs only `rollout.outbound.gateway` never pays for (or depends on) them.
"""
