"""The FastAPI + uvicorn peer of `scripts/bench-serve`: GET /health and the authenticated
GET /jobs?limit=50 of olleey's root spec, over the same SQLite workspace, with the same token
check and the same response bytes as `olleey serve`. Its best configuration: async routes,
JSONResponse (no jsonable_encoder), uvloop + httptools, two workers (started by bench-serve).

Environment: OLLEEY_DB (the workspace's olleey.db), OLLEEY_VERSION (for /health).
"""
import json
import os
import sqlite3
import time

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

DB = os.environ["OLLEEY_DB"]
VERSION = os.environ["OLLEEY_VERSION"]
# olleey's Stage.allCases, in order (Sources/OlleeyKit/Jobs/JobModels.swift): progress = index of the current stage * 100 / 12
STAGES = ["ingest", "transcribe", "translate", "voice", "dub", "lip_sync", "mix", "assemble", "describe", "master", "approval", "publish"]
STATUSES = {"pending", "queued", "downloading", "transcribing", "translating", "voice_cloning", "dubbing", "lip_sync", "syncing",
            "assembling", "waiting_approval", "uploading", "completed", "failed", "cancelled", "paused"}

app = FastAPI()
# one read-only connection per worker process (uvicorn's event loop is one thread)
db = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, check_same_thread=False)
db.execute("PRAGMA busy_timeout = 5000")
_key = {"value": None, "at": 0.0}


def token_key():
    # the same cache as olleey's: the key from signing_keys, re-read every 5 seconds
    now = time.monotonic()
    if _key["value"] is None or now - _key["at"] > 5:
        _key["value"] = db.execute("SELECT secret FROM signing_keys WHERE name = 'token'").fetchone()[0]
        _key["at"] = now
    return _key["value"]


def error(status, detail, code):
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def authenticate(request):
    """HS256 only, exp/iat checked with 30 s leeway, then the user and the membership re-read
    (as AuthService.authenticate does), and the instance-owner flag."""
    h = request.headers.get("authorization", "")
    scheme, _, token = h.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = jwt.decode(token, token_key(), algorithms=["HS256"], leeway=30, options={"require": ["exp", "iat", "sub"]})
    except jwt.PyJWTError:
        return None
    row = db.execute("SELECT id, disabled, instance_owner FROM users WHERE id = ?", (claims["sub"],)).fetchone()
    if row is None or row[1]:
        return None
    m = db.execute("SELECT role FROM memberships WHERE org_id = ? AND user_id = ?", (claims.get("org"), row[0])).fetchone()
    if m is None:
        return None
    return claims["org"]


def progress(status, stage):
    if status == "completed":
        return 100
    if stage in STAGES:
        return STAGES.index(stage) * 100 // len(STAGES)
    return 0


@app.get("/health")
async def health():
    return JSONResponse({"status": "healthy", "version": VERSION})


@app.get("/jobs")
async def jobs(request: Request, limit: str = "50", status: str = "", project_id: str = ""):
    org = authenticate(request)
    if org is None:
        return error(401, "not authenticated", "unauthenticated")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        return error(400, "the page size must be between 1 and 500", "usage")
    where, args = "org_id = ?", [org]
    statuses = [s for s in status.split(",") if s]
    for s in statuses:
        if s not in STATUSES:
            return error(400, f"unknown status '{s}'", "usage")
    if statuses:
        where += " AND status IN (" + ",".join("?" * len(statuses)) + ")"
        args += statuses
    if project_id:
        return error(400, "project_id is not implemented by the peer", "usage")
    # the total from the same maintained counts olleey reads (migration 10)
    total = db.execute("SELECT coalesce(sum(n), 0) FROM job_counts WHERE " + where, args).fetchone()[0]
    rows = db.execute("SELECT id, video_id, status, stage, options, created_at, updated_at FROM jobs WHERE " + where
                      + " ORDER BY created_at DESC, id DESC LIMIT ?", args + [int(limit)]).fetchall()
    items = [{"job_id": r[0], "source_video_id": r[1], "status": r[2], "progress": progress(r[2], r[3]),
              "target_languages": json.loads(r[4]).get("target_languages", []), "created_at": r[5], "updated_at": r[6]} for r in rows]
    return JSONResponse({"jobs": items, "total": total})
