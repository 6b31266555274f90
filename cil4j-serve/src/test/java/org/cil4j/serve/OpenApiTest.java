package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cil4j.serve.app.Tokens;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document cannot drift from the code: it describes exactly the routes the running
 * app registered, every reference in it resolves, every path parameter is declared, and the scope
 * each operation names is the one the service enforces (a token one scope weaker is refused with
 * 403, a token of that scope is let through).
 */
class OpenApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS =
            Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    @TempDir
    Path home;

    @Test
    void theDocumentDescribesExactlyTheRoutesTheServiceServesWithTheScopesItEnforces() throws Exception {
        try (CilServer server = CilServer.start(CilServer.Options.of(home, 0))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> served = send(base, null, "GET", "/openapi.json");
            assertEquals(200, served.statusCode());
            JsonNode doc = JSON.readTree(served.body());
            assertTrue(
                    doc.path("openapi").asText().startsWith("3."), "an OpenAPI 3.x document: " + doc.path("openapi"));
            assertTrue(doc.path("info").path("title").isTextual()
                    && doc.path("info").path("version").isTextual());
            assertEquals(
                    "bearer",
                    doc.at("/components/securitySchemes/bearerAuth/scheme").asText());

            Set<String> documented = new TreeSet<>();
            List<String[]> operations = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                for (Iterator<String> ms = p.getValue().fieldNames(); ms.hasNext(); ) {
                    String m = ms.next();
                    if (METHODS.contains(m)) {
                        documented.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
                        operations.add(new String[] {m, p.getKey()});
                    }
                }
            }
            Set<String> registered = new TreeSet<>();
            server.routes().forEach(r -> registered.add(r.method() + " " + r.path()));
            assertEquals(registered, documented, "routes the app registered vs. operations in openapi.json");

            assertEquals(List.of(), unresolvedRefs(doc, doc, "#"), "every $ref resolves");
            List<String> methodNames = new ArrayList<>();
            doc.at("/components/schemas/MethodName/enum").forEach(n -> methodNames.add(n.asText()));
            assertEquals(org.cil4j.serve.app.ClassifierSpec.METHODS, methodNames, "the methods a classifier may use");
            Set<String> ids = new TreeSet<>();
            for (String[] op : operations) {
                JsonNode path = doc.path("paths").path(op[1]);
                JsonNode o = path.path(op[0]);
                String where = op[0].toUpperCase(Locale.ROOT) + " " + op[1];
                assertTrue(ids.add(o.path("operationId").asText()), "operationId unique and present: " + where);
                assertTrue(o.path("responses").size() > 0, "responses of " + where);
                Set<String> declared = new TreeSet<>();
                for (JsonNode ps : List.of(path.path("parameters"), o.path("parameters"))) {
                    for (JsonNode prm : ps) {
                        JsonNode r =
                                prm.has("$ref") ? resolve(doc, prm.get("$ref").asText()) : prm;
                        if (r.path("in").asText().equals("path")) {
                            assertTrue(r.path("required").asBoolean(), "path parameters are required: " + where);
                            declared.add(r.path("name").asText());
                        }
                    }
                }
                Set<String> inTemplate = new TreeSet<>();
                Matcher m = Pattern.compile("\\{([^}]+)}").matcher(op[1]);
                while (m.find()) {
                    inTemplate.add(m.group(1));
                }
                assertEquals(inTemplate, declared, "path parameters of " + where);
                boolean isPublic = o.has("security") && o.get("security").isEmpty();
                assertTrue(isPublic != o.has("x-required-scope"), where + " is either public or names its scope");
            }

            // the scopes in the document are the ones the service enforces
            CilClient admin = new CilClient(base, server.firstAdminToken().orElseThrow());
            Map<String, String> tokenOf = new HashMap<>();
            for (String scope : Tokens.SCOPES) {
                tokenOf.put(
                        scope,
                        admin.send(
                                        "POST",
                                        "/v1/tokens",
                                        JSON.createObjectNode()
                                                .put("name", scope + " test")
                                                .put("scope", scope))
                                .path("token")
                                .asText());
            }
            for (String[] op : operations) {
                JsonNode o = doc.path("paths").path(op[1]).path(op[0]);
                String path = op[1].replaceAll("\\{version}", "1").replaceAll("\\{[^}]+}", "nothing-here");
                String method = op[0].toUpperCase(Locale.ROOT);
                String where = method + " " + op[1];
                if (!o.has("x-required-scope")) {
                    assertNotEquals(401, send(base, null, method, path).statusCode(), where + " is public");
                    continue;
                }
                String scope = o.get("x-required-scope").asText();
                int rank = Tokens.SCOPES.indexOf(scope);
                assertTrue(rank >= 0, where + " names a known scope: " + scope);
                String weaker = rank == 0 ? null : tokenOf.get(Tokens.SCOPES.get(rank - 1));
                int refused = send(base, weaker, method, path).statusCode();
                assertEquals(rank == 0 ? 401 : 403, refused, where + " refuses a token weaker than " + scope);
                int let = send(base, tokenOf.get(scope), method, path).statusCode();
                assertTrue(let != 401 && let != 403, where + " lets a '" + scope + "' token through, got " + let);
            }
        }
    }

    private static List<String> unresolvedRefs(JsonNode doc, JsonNode n, String at) {
        List<String> bad = new ArrayList<>();
        if (n.isObject()) {
            JsonNode ref = n.get("$ref");
            if (ref != null && resolve(doc, ref.asText()).isMissingNode()) {
                bad.add(at + ": " + ref.asText());
            }
            n.fields().forEachRemaining(e -> bad.addAll(unresolvedRefs(doc, e.getValue(), at + "/" + e.getKey())));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                bad.addAll(unresolvedRefs(doc, n.get(i), at + "/" + i));
            }
        }
        return bad;
    }

    private static JsonNode resolve(JsonNode doc, String ref) {
        return ref.startsWith("#/") ? doc.at(ref.substring(1)) : MissingNode.getInstance();
    }

    private static HttpResponse<String> send(String base, String token, String method, String path) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
