"""The job queue (Huey): what runs beside the web server, out of any request, in `flask run-queue`."""
