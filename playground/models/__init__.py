"""Qt-free models: numpy and scipy only. Each module is one model, usable on its own from Python."""
