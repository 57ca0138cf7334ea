print("gan-worker: not implemented yet")
