package org.cil4j.serve.app;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.serve.store.Db;
import org.cil4j.serve.store.Rows;
import org.cil4j.serve.store.Store;

/**
 * Bearer tokens with scopes. Only the SHA-256 of a secret is stored; the secret is shown once,
 * when the token is made. Scopes are ordered: {@code admin} can do what {@code write} can, which
 * can do what {@code predict} can.
 */
public final class Tokens {
    /** The scopes, weakest first. */
    public static final List<String> SCOPES = List.of("predict", "write", "admin");

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Db db;

    /** @param db the database */
    public Tokens(Db db) {
        this.db = db;
    }

    /**
     * A new token and its secret.
     *
     * @param token the stored row
     * @param secret the secret, shown once
     */
    public record Issued(Rows.Token token, String secret) {}

    /**
     * @param name what the token is for
     * @param scope one of {@link #SCOPES}
     * @return the token with its secret
     */
    public Issued create(String name, String scope) {
        if (!SCOPES.contains(scope)) {
            throw ApiException.bad("scope", "scope must be one of " + SCOPES + ", got '" + scope + "'");
        }
        if (name == null || name.isBlank() || name.length() > 100) {
            throw ApiException.bad("name", "a token needs a name of 1-100 characters");
        }
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        String secret = "cil_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        String id = Store.newId();
        long now = System.currentTimeMillis();
        db.tx(h -> {
            Store.insertToken(h, id, name, hash(secret), scope, now);
            return null;
        });
        return new Issued(new Rows.Token(id, name, scope, now, false), secret);
    }

    /**
     * Makes the first admin token when there is none.
     *
     * @return the new token, or empty when tokens exist
     */
    public Optional<Issued> bootstrap() {
        int n = db.read(Store::countTokens);
        return n == 0 ? Optional.of(create("admin (created on first start)", "admin")) : Optional.empty();
    }

    /**
     * @param secret a presented secret
     * @return its token, unless unknown or revoked
     */
    public Optional<Rows.Token> check(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.empty();
        }
        return db.read(h -> Store.tokenByHash(h, hash(secret))).filter(t -> !t.revoked());
    }

    /** @return every token (never a secret), oldest first */
    public List<Rows.Token> list() {
        return db.read(Store::tokens);
    }

    /**
     * Revokes a token; the last admin token that is not revoked cannot be.
     *
     * @param id the token's id
     * @return the token, revoked
     */
    public Rows.Token revoke(String id) {
        return db.tx(h -> {
            List<Rows.Token> all = Store.tokens(h);
            Rows.Token t = all.stream()
                    .filter(x -> x.id().equals(id))
                    .findFirst()
                    .orElseThrow(() -> ApiException.notFound("no token " + id));
            long admins = all.stream()
                    .filter(x -> !x.revoked() && x.scope().equals("admin"))
                    .count();
            if (!t.revoked() && t.scope().equals("admin") && admins == 1) {
                throw ApiException.conflict("token " + id + " is the last admin token; make another admin token first");
            }
            Store.revokeToken(h, id);
            return new Rows.Token(t.id(), t.name(), t.scope(), t.createdAt(), true);
        });
    }

    /**
     * @param token a token
     * @param needed the scope an action needs
     * @return whether the token's scope covers it
     */
    public static boolean allows(Rows.Token token, String needed) {
        return SCOPES.indexOf(token.scope()) >= SCOPES.indexOf(needed);
    }

    static String hash(String secret) {
        return CheckpointStore.sha256(secret.getBytes(StandardCharsets.UTF_8));
    }
}
