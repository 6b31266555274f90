package org.cil4j.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.serve.app.ApiException;
import org.cil4j.serve.app.Service;
import org.cil4j.serve.app.Tokens;
import org.cil4j.serve.store.Rows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API under {@code /v1}: JSON in and out, bearer tokens with scopes, errors as JSON
 * naming the field that was wrong. Also {@code /openapi.json}, the operators' page at {@code /},
 * {@code /metrics} (Prometheus) and {@code /health}. Tokens and image bytes are never logged.
 */
public final class Api {
    private static final Logger LOG = LoggerFactory.getLogger(Api.class);
    private static final String TOKEN = "cil.token";
    private static final String STARTED = "cil.started";

    private Api() {}

    /**
     * Builds the server (not started).
     *
     * @param service the use cases
     * @param tokens the tokens
     * @param metrics the registry {@code /metrics} shows
     * @param maxRequestBytes largest request body
     * @return the Javalin app
     */
    public static Javalin create(
            Service service, Tokens tokens, PrometheusMeterRegistry metrics, long maxRequestBytes) {
        return Javalin.create(cfg -> {
            cfg.jsonMapper(new JavalinJackson(ConfigLoader.MAPPER, false));
            cfg.http.maxRequestSize = maxRequestBytes;
            cfg.startup.showJavalinBanner = false;
            cfg.routes.before(ctx -> {
                ctx.attribute(STARTED, System.nanoTime());
                String path = ctx.path();
                if (path.equals("/health")
                        || path.equals("/")
                        || path.equals("/openapi.json")
                        || path.startsWith("/ui/")
                        || HandlerType.OPTIONS.equals(ctx.method())) {
                    return;
                }
                String auth = ctx.header("Authorization");
                String secret = auth != null && auth.startsWith("Bearer ")
                        ? auth.substring(7).trim()
                        : null;
                Rows.Token t = tokens.check(secret)
                        .orElseThrow(() -> new ApiException(
                                401, "Authorization", "send a valid token: Authorization: Bearer <token>"));
                ctx.attribute(TOKEN, t);
            });
            cfg.routes.after(ctx -> {
                Long t0 = ctx.attribute(STARTED);
                var matched = ctx.endpoints().matchedHttpEndpoint();
                String route = matched == null ? "unmatched" : matched.path;
                if (t0 != null) {
                    Timer.builder("cil_http_requests")
                            .description("HTTP requests by route and status")
                            .tag("method", ctx.method().name())
                            .tag("route", route)
                            .tag("status", String.valueOf(ctx.statusCode()))
                            .publishPercentileHistogram()
                            .register(metrics)
                            .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                }
            });
            cfg.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.field(), e.getMessage()));
            cfg.routes.exception(
                    com.fasterxml.jackson.core.JsonProcessingException.class,
                    (e, ctx) -> error(ctx, 400, "body", "malformed JSON: " + e.getOriginalMessage()));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, null, "internal error: " + e.getClass().getSimpleName());
            });
            cfg.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(
                            ctx,
                            404,
                            null,
                            "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /openapi.json)");
                }
            });
            cfg.routes.error(413, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    error(ctx, 413, "body", "the request is larger than the " + maxRequestBytes + " bytes accepted");
                }
            });

            cfg.routes.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
            cfg.routes.get("/metrics", ctx -> {
                require(ctx, "admin");
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
            });
            cfg.routes.get(
                    "/openapi.json",
                    ctx -> ctx.contentType("application/json").result(resource("/serve/openapi.json")));
            cfg.routes.get(
                    "/", ctx -> ctx.contentType("text/html; charset=utf-8").result(resource("/serve/index.html")));
            cfg.routes.get(
                    "/ui/app.js",
                    ctx -> ctx.contentType("text/javascript; charset=utf-8").result(resource("/serve/app.js")));

            cfg.routes.post("/v1/tokens", ctx -> {
                require(ctx, "admin");
                JsonNode b = body(ctx);
                Tokens.Issued t = tokens.create(
                        b.path("name").asText(null), b.path("scope").asText(""));
                ctx.status(201)
                        .json(Map.of(
                                "id",
                                t.token().id(),
                                "name",
                                t.token().name(),
                                "scope",
                                t.token().scope(),
                                "token",
                                t.secret()));
            });
            cfg.routes.get("/v1/tokens", ctx -> {
                require(ctx, "admin");
                ctx.json(Map.of("tokens", tokens.list()));
            });
            cfg.routes.delete("/v1/tokens/{id}", ctx -> {
                require(ctx, "admin");
                ctx.json(tokens.revoke(ctx.pathParam("id")));
            });
            cfg.routes.get("/v1/classifiers", ctx -> {
                require(ctx, "predict");
                ctx.json(Map.of("classifiers", service.classifiers()));
            });
            cfg.routes.post("/v1/classifiers", ctx -> {
                require(ctx, "admin");
                ctx.status(201).json(service.createClassifier(body(ctx)));
            });
            cfg.routes.get("/v1/classifiers/{name}", ctx -> {
                require(ctx, "predict");
                ctx.json(service.classifierView(ctx.pathParam("name")));
            });
            cfg.routes.post("/v1/classifiers/{name}/samples", ctx -> {
                require(ctx, "write");
                ctx.status(201).json(Map.of("samples", service.upload(ctx.pathParam("name"), uploads(ctx))));
            });
            cfg.routes.delete("/v1/classifiers/{name}/samples", ctx -> {
                require(ctx, "admin");
                ctx.json(service.erase(
                        ctx.pathParam("name"),
                        ctx.queryParam("source"),
                        token(ctx).id()));
            });
            cfg.routes.post("/v1/classifiers/{name}/phases", ctx -> {
                require(ctx, "write");
                ctx.status(202).json(service.startPhase(ctx.pathParam("name")));
            });
            cfg.routes.get("/v1/classifiers/{name}/jobs", ctx -> {
                require(ctx, "predict");
                ctx.json(Map.of("jobs", service.jobs(ctx.pathParam("name"))));
            });
            cfg.routes.get("/v1/jobs/{id}", ctx -> {
                require(ctx, "predict");
                ctx.json(service.job(ctx.pathParam("id")));
            });
            cfg.routes.post("/v1/classifiers/{name}/predict", ctx -> {
                require(ctx, "predict");
                predict(service, ctx);
            });
            cfg.routes.get("/v1/classifiers/{name}/versions", ctx -> {
                require(ctx, "predict");
                ctx.json(Map.of("versions", service.versions(ctx.pathParam("name"))));
            });
            cfg.routes.post("/v1/classifiers/{name}/versions/{version}/activate", ctx -> {
                require(ctx, "admin");
                ctx.json(service.activate(ctx.pathParam("name"), intParam(ctx.pathParam("version"), "version")));
            });
            cfg.routes.get("/v1/classifiers/{name}/storage", ctx -> {
                require(ctx, "predict");
                ctx.json(service.storage(ctx.pathParam("name")));
            });
            cfg.routes.get("/v1/classifiers/{name}/classes", ctx -> {
                require(ctx, "predict");
                ctx.json(Map.of("classes", service.classes(ctx.pathParam("name"))));
            });
            cfg.routes.delete("/v1/classifiers/{name}/classes/{class}", ctx -> {
                require(ctx, "admin");
                ctx.json(service.forgetClass(
                        ctx.pathParam("name"),
                        ctx.pathParam("class"),
                        token(ctx).id()));
            });
            cfg.routes.get("/v1/audit", ctx -> {
                require(ctx, "admin");
                String limit = ctx.queryParam("limit");
                ctx.json(Map.of("entries", service.audit(limit == null ? 100 : intParam(limit, "limit"))));
            });
        });
    }

    /**
     * An HTTP route as registered: what {@code /openapi.json} must describe.
     *
     * @param method GET, POST, DELETE, ...
     * @param path the path template, parameters as {@code {name}}
     */
    public record Route(String method, String path) {}

    /**
     * @param app an app that {@link #create} built
     * @return its HTTP routes (not the before and after filters), in registration order
     */
    public static List<Route> routes(Javalin app) {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(e -> e.endpoint)
                .filter(e -> e.method.isHttpMethod())
                .map(e -> new Route(e.method.name(), e.path))
                .toList();
    }

    private static void predict(Service service, Context ctx) throws InterruptedException {
        List<byte[]> images;
        int topK;
        if (isJson(ctx)) {
            JsonNode b = body(ctx);
            images = new ArrayList<>();
            JsonNode arr = b.path("images");
            if (!arr.isArray()) {
                throw new ApiException(400, "images", "images must be an array of base64-encoded images");
            }
            for (int i = 0; i < arr.size(); i++) {
                images.add(base64(arr.get(i), "images[" + i + "]"));
            }
            topK = b.path("topK").asInt(3);
        } else {
            images = List.of(ctx.bodyAsBytes());
            topK = ctx.queryParam("topK") == null ? 3 : intParam(ctx.queryParam("topK"), "topK");
        }
        try {
            ctx.json(service.predict(ctx.pathParam("name"), images, topK).get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException a) {
                throw a;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new ApiException(503, null, "the prediction did not finish within 60 s");
        }
    }

    private static List<Service.Upload> uploads(Context ctx) {
        List<Service.Upload> out = new ArrayList<>();
        if (!isJson(ctx)) {
            String label = ctx.queryParam("label");
            out.add(new Service.Upload(
                    label,
                    ctx.bodyAsBytes(),
                    ctx.queryParam("source"),
                    expiry(ctx.queryParam("expiresAt"), "expiresAt")));
            return out;
        }
        JsonNode arr = body(ctx).path("samples");
        if (!arr.isArray()) {
            throw new ApiException(
                    400, "samples", "samples must be an array of {label, image (base64), sourceId?, expiresAt?}");
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode s = arr.get(i);
            String f = "samples[" + i + "]";
            if (!s.isObject()) {
                throw new ApiException(400, f, f + " must be an object");
            }
            out.add(new Service.Upload(
                    s.path("label").asText(null),
                    base64(s.path("image"), f + ".image"),
                    s.path("sourceId").isMissingNode() || s.path("sourceId").isNull()
                            ? null
                            : s.path("sourceId").asText(),
                    expiry(
                            s.path("expiresAt").isMissingNode()
                                            || s.path("expiresAt").isNull()
                                    ? null
                                    : s.path("expiresAt").asText(),
                            f + ".expiresAt")));
        }
        return out;
    }

    private static Long expiry(String v, String field) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(v).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw new ApiException(
                    400, field, field + " must be an ISO-8601 instant such as 2027-01-31T00:00:00Z, got '" + v + "'");
        }
    }

    private static byte[] base64(JsonNode n, String field) {
        if (!n.isTextual()) {
            throw new ApiException(400, field, field + " must be a base64-encoded image");
        }
        try {
            return Base64.getMimeDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, field, field + " is not valid base64: " + e.getMessage());
        }
    }

    private static boolean isJson(Context ctx) {
        String ct = ctx.contentType();
        return ct == null || ct.startsWith("application/json");
    }

    private static JsonNode body(Context ctx) {
        byte[] b = ctx.bodyAsBytes();
        if (b.length == 0) {
            throw new ApiException(400, "body", "the request needs a JSON body");
        }
        try {
            return ConfigLoader.MAPPER.readTree(b);
        } catch (IOException e) {
            throw new ApiException(
                    400,
                    "body",
                    "malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static int intParam(String v, String field) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ApiException(400, field, field + " must be a whole number, got '" + v + "'");
        }
    }

    private static Rows.Token token(Context ctx) {
        return ctx.attribute(TOKEN);
    }

    private static void require(Context ctx, String scope) {
        Rows.Token t = token(ctx);
        if (t == null || !Tokens.allows(t, scope)) {
            throw new ApiException(
                    403,
                    "Authorization",
                    "this needs a token with scope '" + scope + "'"
                            + (t == null ? "" : "; yours has '" + t.scope() + "'"));
        }
    }

    private static void error(Context ctx, int status, String field, String message) {
        ObjectNode n = ConfigLoader.MAPPER.createObjectNode();
        ObjectNode e = n.putObject("error");
        e.put("status", status);
        if (field != null) {
            e.put("field", field);
        }
        e.put("message", message);
        ctx.status(status).contentType("application/json").result(n.toString());
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Api.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
