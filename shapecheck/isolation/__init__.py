"""Builder modules run in a supervised child process: the parent owns the exit code, the
output and the clock (warden.py), a zygote that imported TensorFlow once forks a clean
child per module (zygote.py), and reports come back as plain data (protocol.py)."""
