"""Flow files, stages, the content-hash cache, the runner and run directories."""
