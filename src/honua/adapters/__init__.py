"""Protocol adapters: each translates one protocol to the core and back, nothing else."""
