"""Demo and test tooling around rollout: the simulation, the demo, the emulator command."""
