"""One module per alert tool: how to recognise its messages and read them."""
