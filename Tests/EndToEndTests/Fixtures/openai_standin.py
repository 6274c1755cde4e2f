#!/usr/bin/env python3
"""A deterministic stand-in for an OpenAI-compatible server, for olleey's end-to-end tests.

NOT a model: its answers are fixed functions of the requests.

    openai_standin.py STATE_DIR [--key KEY]

Binds 127.0.0.1 on an ephemeral port and prints the port on the first line of stdout. Exits on
SIGTERM, or by itself once the process that started it is gone.

  POST /v1/chat/completions      translation: every cue's text becomes "«LANG» " + text, same
                                 ids, same order, as {"cues":[{"id","text"}]} in
                                 choices[0].message.content (LANG from the system prompt);
                                 description (a user message of content parts with image_url
                                 frames): "Stand-in description of N frames (W words at most)."
                                 whatever the frames show (N: the PNG data URLs it could decode)
  POST /v1/audio/speech          a real WAV: a 24 kHz mono sine tone, 0.25 s + 45 ms per character
  POST /v1/audio/transcriptions  verbose_json with three fixed segments (the sample's timings)

With --key, any other Authorization than "Bearer KEY" gets 401.

Every request is appended as one JSON object per line to STATE_DIR/requests.jsonl (kind,
path, authorization, and what the request asked for). Faults are read from
STATE_DIR/faults.json on every request, e.g. {"ca": "http500"}; per target language:
  "http500"        chat completions answer HTTP 500 (Retry-After: 0)
  "drop2"          chat completions always leave out cue "2" (even when asked alone)
  "garbage_audio"  speech for text starting "«LANG» " is bytes no decoder reads
  {"describe": "http500"} / {"describe": "empty"}: description requests answer HTTP 500 / ""
"""
import base64
import json
import math
import os
import re
import signal
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = sys.argv[1]
KEY = sys.argv[sys.argv.index("--key") + 1] if "--key" in sys.argv else None
LOCK = threading.Lock()
LANGS = {"Spanish": "es", "Catalan": "ca", "Esperanto": "eo", "French": "fr", "German": "de", "English": "en"}
SEGMENTS = [(0.5, 2.5, "Welcome to our channel."), (3.0, 5.0, "The river is cold & <clean>."), (5.5, 7.5, "Thank you for watching.")]


def faults():
    try:
        with open(os.path.join(STATE, "faults.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def record(entry):
    with LOCK:
        with open(os.path.join(STATE, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")


def wav(seconds, rate=24000, freq=440.0):
    n = int(seconds * rate)
    samples = struct.pack("<%dh" % n, *(int(9000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(n)))
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(samples)) + samples


def multipart(body, content_type):
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    fields, files = {}, {}
    if not m:
        return fields, files
    for part in body.split(b"--" + m.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        name = re.search(rb'name="([^"]*)"', head)
        if not name:
            continue
        if b"filename=" in head:
            files[name.group(1).decode()] = data
        else:
            fields[name.group(1).decode()] = data.decode("utf-8", "replace")
    return fields, files


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        record({"kind": "other", "method": "GET", "path": self.path, "authorization": self.headers.get("Authorization")})
        self.reply(404, {"error": {"message": "stand-in: no such endpoint"}})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization")
        entry = {"method": "POST", "path": self.path, "authorization": auth}
        try:
            if KEY is not None and auth != "Bearer " + KEY:
                entry["kind"] = "refused"
                record(entry)
                return self.reply(401, {"error": {"message": "stand-in: invalid API key"}})
            if self.path == "/v1/chat/completions":
                return self.chat(body, entry)
            if self.path == "/v1/audio/speech":
                return self.speech(body, entry)
            if self.path == "/v1/audio/transcriptions":
                return self.transcription(body, entry)
            entry["kind"] = "other"
            record(entry)
            self.reply(404, {"error": {"message": "stand-in: no such endpoint"}})
        except Exception as e:  # a bug here must show as a plain 400, not a hang
            entry["kind"] = "error"
            entry["error"] = repr(e)
            record(entry)
            self.reply(400, {"error": {"message": "stand-in: bad request: %r" % e}})

    def chat(self, body, entry):
        req = json.loads(body)
        messages = req["messages"]
        if isinstance(messages[-1]["content"], list):
            return self.describe(req, entry)
        system = next(m["content"] for m in messages if m["role"] == "system")
        m = re.search(r"from (\w+) to (\w+)", system)
        target = LANGS.get(m.group(2), m.group(2)) if m else "?"
        cues = json.loads(messages[-1]["content"])["cues"]
        entry.update(kind="chat", model=req.get("model"), target=target, ids=[c["id"] for c in cues],
                     response_format=(req.get("response_format") or {}).get("type"))
        fault = faults().get(target)
        entry["fault"] = fault if fault in ("http500", "drop2") else None
        record(entry)
        if fault == "http500":
            return self.reply(500, {"error": {"message": "stand-in: the %s model is overloaded" % target}}, headers=[("Retry-After", "0")])
        answer = [{"id": c["id"], "text": "«%s» %s" % (target, c["text"])} for c in cues if not (fault == "drop2" and c["id"] == "2")]
        content = json.dumps({"cues": answer}, ensure_ascii=False)
        self.reply(200, {"id": "chatcmpl-standin", "object": "chat.completion", "model": req.get("model"),
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})

    def describe(self, req, entry):
        parts = req["messages"][-1]["content"]
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        pngs = 0
        for u in urls:
            head, _, data = u.partition(",")
            if head == "data:image/png;base64" and base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n":
                pngs += 1
        system = next(m["content"] for m in req["messages"] if m["role"] == "system")
        words = re.search(r"At most (\d+) words", system)
        fault = faults().get("describe")
        entry.update(kind="describe", model=req.get("model"), frames=len(urls), pngs=pngs, fault=fault)
        record(entry)
        if fault == "http500":
            return self.reply(500, {"error": {"message": "stand-in: the vision model is overloaded"}}, headers=[("Retry-After", "0")])
        text = "" if fault == "empty" else "Stand-in description of %d frames (%s words at most)." % (pngs, words.group(1) if words else "?")
        self.reply(200, {"id": "chatcmpl-standin", "object": "chat.completion", "model": req.get("model"),
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

    def speech(self, body, entry):
        req = json.loads(body)
        text = req["input"]
        entry.update(kind="speech", model=req.get("model"), voice=req.get("voice"), input=text,
                     response_format=req.get("response_format"))
        m = re.match(r"«(\w+)» ", text)
        garbage = bool(m) and faults().get(m.group(1)) == "garbage_audio"
        entry["fault"] = "garbage_audio" if garbage else None
        record(entry)
        if garbage:
            return self.reply(200, b"\x00\x01not audio at all\xff" * 64, content_type="audio/wav")
        self.reply(200, wav(0.25 + 0.045 * len(text)), content_type="audio/wav")

    def transcription(self, body, entry):
        fields, files = multipart(body, self.headers.get("Content-Type"))
        audio = files.get("file", b"")
        entry.update(kind="transcription", model=fields.get("model"), language=fields.get("language"),
                     response_format=fields.get("response_format"), file_bytes=len(audio),
                     file_is_wav=audio[:4] == b"RIFF" and audio[8:12] == b"WAVE")
        record(entry)
        segments = [{"id": i, "start": a, "end": b, "text": " " + t} for i, (a, b, t) in enumerate(SEGMENTS)]
        self.reply(200, {"task": "transcribe", "language": "english", "duration": 8.0,
                         "text": " ".join(t for _, _, t in SEGMENTS), "segments": segments})


def exit_with_parent(parent):
    # the test that started us may die without stopping us: never outlive it
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


# a test runner's thread may have blocked SIGTERM/SIGINT, and exec keeps the mask
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
