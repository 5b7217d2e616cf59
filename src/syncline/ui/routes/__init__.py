"""The UI's pages, one module per kind of object, like the API's routers."""
