print("gan-coord: not implemented yet")
