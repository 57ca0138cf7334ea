print("gan-train: not implemented yet")
