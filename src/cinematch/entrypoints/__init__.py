"""What starts a process: the web application (`cinematch serve`), the command line (every
`cinematch` command, the worker and the relay among them) and the Spark driver
(`cinematch spark`). Each builds the container (`cinematch.container`), runs, and closes what
it opened on the way out (`container.close_resources`). Adapters implement the ports; they
never start anything themselves.
"""
