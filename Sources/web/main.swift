print("web: not built yet")
