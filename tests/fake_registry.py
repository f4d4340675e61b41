"""A fake Confluent Schema Registry for tests: the REST calls xsell makes, on 127.0.0.1.

Writes its port to argv[1] and one JSON line per registration to argv[2]. Schema id 7 is
pre-registered by the test producer through POST /subjects/.../versions like any client.

argv[3] (optional) is a JSON object of schema ids that fail, each GET of one logged to argv[2]:
"500" answers HTTP 500, "hang" answers nothing for 30 s (then 500), "close" closes the
connection without an answer.
"""
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

schemas = {}   # id -> text
subjects = {}  # (subject, text) -> id
next_id = [7]
log = open(sys.argv[2], "a", buffering=1)
faults = {int(k): v for k, v in json.loads(sys.argv[3]).items()} if len(sys.argv) > 3 else {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) == 4 and parts[1] == "schemas" and parts[2] == "ids":
            sid = int(parts[3])
            if sid in faults:
                log.write(json.dumps({"op": "get", "id": sid, "fault": faults[sid]}) + "\n")
                if faults[sid] == "close":
                    self.close_connection = True
                    return
                if faults[sid] == "hang":
                    time.sleep(30)
                return self.reply(500, {"error_code": 50001, "message": "store error"})
            if sid in schemas:
                return self.reply(200, {"schema": schemas[sid]})
            return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
        self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        parts = self.path.split("/")
        subject = urllib.parse.unquote(parts[2]) if len(parts) > 2 else ""
        text = body["schema"]
        if len(parts) == 4 and parts[1] == "subjects" and parts[3] == "versions":
            key = (subject, text)
            if key not in subjects:
                subjects[key] = next_id[0]
                schemas[next_id[0]] = text
                next_id[0] += 1
            log.write(json.dumps({"op": "register", "subject": subject, "id": subjects[key],
                                  "schema": text}) + "\n")
            return self.reply(200, {"id": subjects[key]})
        if len(parts) == 3 and parts[1] == "subjects":
            key = (subject, text)
            if key in subjects:
                return self.reply(200, {"subject": subject, "id": subjects[key], "version": 1,
                                        "schema": text})
            return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
        self.reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
