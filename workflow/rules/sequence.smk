# The sequence study. (Being written: rules arrive with issue work.)


validate(config["sequence"], schema="../schemas/sequence.schema.yaml")
