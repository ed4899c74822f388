# Runs first on a board and must return. Safe mode: create a file named "safemode" on the board
# (mpremote fs touch :safemode) and main.py will not start anything, so the REPL stays reachable.
# Wi-Fi and the clock are set up here once the client exists (issue 4).
