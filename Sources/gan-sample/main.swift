print("gan-sample: not implemented yet")
