# The vision study. (Being written: rules arrive with issue work.)


validate(config["vision"], schema="../schemas/vision.schema.yaml")
