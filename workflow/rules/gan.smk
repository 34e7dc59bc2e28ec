# The gan study. (Being written: rules arrive with issue work.)


validate(config["gan"], schema="../schemas/gan.schema.yaml")
