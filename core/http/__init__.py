"""HTTP: middleware, deadlines, CORS, rate limits, the operational endpoints and the admin console."""
