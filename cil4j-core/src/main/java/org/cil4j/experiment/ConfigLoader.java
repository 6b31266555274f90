package org.cil4j.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.cil4j.CilException;

/**
 * Reads experiment configs (JSON), applies {@code key.path=value} overrides, and binds them to
 * the typed records. Unknown keys fail with a message naming the key and the file.
 */
public final class ConfigLoader {
    /** The mapper used for configs and results. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigLoader() {}

    /**
     * Reads a config file into a tree.
     *
     * @param file the JSON file
     * @return its tree
     */
    public static ObjectNode readTree(Path file) {
        try {
            JsonNode n = MAPPER.readTree(Files.readString(file));
            if (n == null || !n.isObject()) {
                throw new CilException(file + ": a config must be a JSON object");
            }
            return (ObjectNode) n;
        } catch (NoSuchFileException e) {
            throw new CilException("config file not found: " + file);
        } catch (JsonProcessingException e) {
            throw new CilException(file + ": not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new CilException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies an override such as {@code train.epochs=3} or {@code scenario.order=[1,0,2]}.
     * The value is read as JSON when it parses as JSON, as a string otherwise.
     *
     * @param tree the config tree, modified in place
     * @param assignment {@code key.path=value}
     */
    public static void set(ObjectNode tree, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new CilException("--set expects key=value, got '" + assignment + "'");
        }
        String[] path = assignment.substring(0, eq).trim().split("\\.", -1);
        for (String seg : path) {
            if (seg.isEmpty()) {
                throw new CilException("--set " + assignment + ": the key has an empty part");
            }
        }
        String raw = assignment.substring(eq + 1).trim();
        JsonNode value;
        try {
            value = MAPPER.readTree(raw);
            if (value == null || value.isMissingNode()) {
                value = TextNode.valueOf(raw);
            }
        } catch (JsonProcessingException e) {
            value = TextNode.valueOf(raw);
        }
        ObjectNode node = tree;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode child = node.get(path[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(path[i]);
            } else if (!child.isObject()) {
                throw new CilException("--set " + assignment + ": '" + path[i] + "' is not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(path[path.length - 1], value);
    }

    /**
     * Binds a tree to the experiment record.
     *
     * @param tree the config tree
     * @param source where it came from, for messages
     * @return the validated config
     */
    public static ExperimentConfig bind(ObjectNode tree, String source) {
        try {
            return MAPPER.treeToValue(tree, ExperimentConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new CilException(source + ": unknown key '" + pathOf(e.getPath()) + "'; known keys here: "
                    + e.getKnownPropertyIds());
        } catch (ValueInstantiationException e) {
            Throwable c = e.getCause();
            if (c instanceof CilException ce) {
                throw new CilException(source + ": " + ce.getMessage());
            }
            throw new CilException(
                    source + ": invalid value at '" + pathOf(e.getPath()) + "': " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            Throwable c = e.getCause();
            if (c instanceof CilException ce) {
                throw new CilException(source + ": " + ce.getMessage());
            }
            throw new CilException(source + ": invalid value at '"
                    + pathOf(((com.fasterxml.jackson.databind.JsonMappingException) e).getPath()) + "': "
                    + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonProcessingException jp) {
                throw new CilException(source + ": " + jp.getOriginalMessage());
            }
            throw new CilException(source + ": " + e.getMessage());
        }
    }

    /**
     * Loads a file with overrides.
     *
     * @param file the JSON file
     * @param overrides {@code key=value} assignments applied in order
     * @return the validated config
     */
    public static ExperimentConfig load(Path file, List<String> overrides) {
        ObjectNode tree = readTree(file);
        for (String s : overrides) {
            set(tree, s);
        }
        return bind(tree, file.toString());
    }

    private static String pathOf(List<com.fasterxml.jackson.databind.JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (var r : refs) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }
}
