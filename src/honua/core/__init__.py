"""The protocol-agnostic core: processes, parameters, jobs, the job manager."""
