def greeting(name: str, template: str) -> str:
    return template.format(name=name)
