"""Media: photos, documents and videos in object storage (a local folder or any S3 store).

Modules, one concept each:

- `policy`      — upload purposes, the content types and sizes each allows;
- `inspection`  — content type from magic bytes; the decoding budget; image sanitising
  (EXIF/GPS) and thumbnails;
- `workers`     — the bounded thread lanes image work runs on (never the event loop);
- `spool`       — streaming a request body part into a temporary file, chunk by chunk;
- `storage`     — the `Storage` protocol, its errors and the factory; `local_storage`,
  `s3_storage` are the two backends;
- `repository`  — the `files` collection;
- `service`     — the rules: scope, quota, presigned uploads, attach/release for other subsystems;
- `cleanup`     — the orphan sweep (`run_once(platform)`, a periodic task, a CLI);
- `routes`      — `POST /upload` (wx.uploadFile) and the local backend's signed `/media/…` URLs;
- `multipart`   — the GraphQL multipart request spec on `/graphql`, streaming and CSRF-safe;
- `graphql`     — `File`, `MediaQuery`, `MediaMutation`;
- `state`       — media's per-app state under one `web.AppKey`;
- `setup`       — `setup_media(app)`, called once by `create_app`.

Nothing is imported here so that `community_plus.graphql.view` can import `multipart`
without pulling in the rest (and without import cycles).
"""
