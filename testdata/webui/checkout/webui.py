# stand-in for the web UI's webui.py (sdmodel only looks for its presence)
