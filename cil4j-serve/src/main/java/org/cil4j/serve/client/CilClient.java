package org.cil4j.serve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * A small Java client of {@code cil serve}'s HTTP API (the README's example uses it). Each call
 * returns the response's JSON; a response that is not 2xx throws {@link CilClient.ApiError} with the
 * status, the field at fault and the message the service sent.
 */
public final class CilClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Runnable::run)
            .build();
    private final String base;
    private final String token;

    /** A refused request. */
    public static final class ApiError extends RuntimeException {
        private final int status;
        private final String field;

        ApiError(int status, String field, String message) {
            super(status + (field == null ? "" : " (" + field + ")") + ": " + message);
            this.status = status;
            this.field = field;
        }

        /** @return the HTTP status */
        public int status() {
            return status;
        }

        /** @return the request field at fault, or null */
        public String field() {
            return field;
        }
    }

    /**
     * One image to upload.
     *
     * @param label class name
     * @param image encoded image (PNG, JPEG, ...)
     * @param sourceId who or what it came from (for erasure), or null
     * @param expiresAt ISO-8601 instant after which it is deleted, or null
     */
    public record Sample(String label, byte[] image, String sourceId, String expiresAt) {
        /**
         * @param label class name
         * @param image encoded image
         */
        public Sample(String label, byte[] image) {
            this(label, image, null, null);
        }
    }

    /**
     * @param baseUrl e.g. {@code http://localhost:8080}
     * @param token a bearer token
     */
    public CilClient(String baseUrl, String token) {
        this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    /**
     * @param spec the classifier: name, method, preset, storageBudgetBytes, gate, ...
     * @return the classifier
     */
    public JsonNode createClassifier(JsonNode spec) {
        return send("POST", "/v1/classifiers", spec);
    }

    /**
     * @param classifier the classifier
     * @param samples the images
     * @return the stored samples with their class ids
     */
    public JsonNode upload(String classifier, List<Sample> samples) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("samples");
        for (Sample s : samples) {
            ObjectNode o = arr.addObject();
            o.put("label", s.label());
            o.put("image", Base64.getEncoder().encodeToString(s.image()));
            if (s.sourceId() != null) {
                o.put("sourceId", s.sourceId());
            }
            if (s.expiresAt() != null) {
                o.put("expiresAt", s.expiresAt());
            }
        }
        return send("POST", "/v1/classifiers/" + classifier + "/samples", body);
    }

    /**
     * Starts a phase that learns every pending upload.
     *
     * @param classifier the classifier
     * @return the job (its {@code id} for {@link #job})
     */
    public JsonNode startPhase(String classifier) {
        return send("POST", "/v1/classifiers/" + classifier + "/phases", JSON.createObjectNode());
    }

    /**
     * @param id a job
     * @return its state and progress
     */
    public JsonNode job(String id) {
        return send("GET", "/v1/jobs/" + id, null);
    }

    /**
     * @param classifier the classifier
     * @return its phases' jobs, oldest first
     */
    public JsonNode jobs(String classifier) {
        return send("GET", "/v1/classifiers/" + classifier + "/jobs", null);
    }

    /**
     * Waits for a job to end.
     *
     * @param id a job
     * @param timeout the longest wait
     * @return the job, done or failed
     * @throws InterruptedException when interrupted
     */
    public JsonNode awaitJob(String id, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode j = job(id);
            String st = j.path("state").asText();
            if (st.equals("done") || st.equals("failed")) {
                return j;
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("job " + id + " still " + st + " after " + timeout);
            }
            Thread.sleep(250);
        }
    }

    /**
     * @param classifier the classifier
     * @param images encoded images
     * @param topK classes per image
     * @return the version that answered and, per image, the best classes
     */
    public JsonNode predict(String classifier, List<byte[]> images, int topK) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("images");
        images.forEach(i -> arr.add(Base64.getEncoder().encodeToString(i)));
        body.put("topK", topK);
        return send("POST", "/v1/classifiers/" + classifier + "/predict", body);
    }

    /**
     * @param classifier the classifier
     * @return its versions with their metrics
     */
    public JsonNode versions(String classifier) {
        return send("GET", "/v1/classifiers/" + classifier + "/versions", null);
    }

    /**
     * Makes a version the active one (promotion or rollback).
     *
     * @param classifier the classifier
     * @param version the version
     * @return the classifier
     */
    public JsonNode activate(String classifier, int version) {
        return send(
                "POST",
                "/v1/classifiers/" + classifier + "/versions/" + version + "/activate",
                JSON.createObjectNode());
    }

    /**
     * @param classifier the classifier
     * @return what is kept per class, the budget and the model's size
     */
    public JsonNode storage(String classifier) {
        return send("GET", "/v1/classifiers/" + classifier + "/storage", null);
    }

    /**
     * @param classifier the classifier
     * @return its classes
     */
    public JsonNode classes(String classifier) {
        return send("GET", "/v1/classifiers/" + classifier + "/classes", null);
    }

    /**
     * Erases every sample of a source.
     *
     * @param classifier the classifier
     * @param sourceId the source
     * @return the receipt
     */
    public JsonNode erase(String classifier, String sourceId) {
        return send(
                "DELETE",
                "/v1/classifiers/" + classifier + "/samples?source="
                        + java.net.URLEncoder.encode(sourceId, java.nio.charset.StandardCharsets.UTF_8),
                null);
    }

    /**
     * @param classifier the classifier
     * @param classRef a class id or name
     * @return what was deleted
     */
    public JsonNode forgetClass(String classifier, String classRef) {
        return send(
                "DELETE",
                "/v1/classifiers/" + classifier + "/classes/"
                        + java.net.URLEncoder.encode(classRef, java.nio.charset.StandardCharsets.UTF_8)
                                .replace("+", "%20"),
                null);
    }

    /**
     * @param limit most entries
     * @return the deletion log, newest first
     */
    public JsonNode audit(int limit) {
        return send("GET", "/v1/audit?limit=" + limit, null);
    }

    /**
     * Any request.
     *
     * @param method HTTP method
     * @param path path and query
     * @param body JSON body, or null
     * @return the response's JSON
     */
    public JsonNode send(String method, String path, JsonNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() / 100 != 2) {
                JsonNode e = n.path("error");
                throw new ApiError(
                        r.statusCode(),
                        e.path("field").isMissingNode() ? null : e.path("field").asText(),
                        e.path("message").asText(r.body()));
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + base + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
