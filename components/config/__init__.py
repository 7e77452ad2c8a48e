"""The stack config: typed models, the rules across fields, whole-stack loading, names, labels and quantities."""
