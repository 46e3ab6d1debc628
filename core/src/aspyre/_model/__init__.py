"""The app model: resources, annotations, values, endpoints, parameters, graph validation.

Pure data, no I/O. Nothing here imports the eventing, orchestrator or publishing rooms.
"""
