def gen():
    return {"cache": [1, 2, 3, (i for i in range(3))]}
