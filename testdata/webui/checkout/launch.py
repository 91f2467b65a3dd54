# stand-in for the web UI's launch.py (sdmodel only looks for its presence)
