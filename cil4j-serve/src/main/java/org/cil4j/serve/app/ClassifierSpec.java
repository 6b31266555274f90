package org.cil4j.serve.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.model.ModelConfig;
import org.cil4j.train.TrainConfig;

/**
 * What a classifier is: its method, model, training recipe, storage budget and promotion gate,
 * resolved from a request with every default filled in (the stored spec is the resolved one).
 *
 * @param name the name in URLs: letters, digits, '-', '_' and '.', at most 64
 * @param method the method and its parameters (the memory size is set from the budget)
 * @param preset the model preset the defaults came from
 * @param imageSize input height and width
 * @param channels 1 or 3
 * @param model the network
 * @param train the recipe of each phase
 * @param storageBudgetBytes bytes of samples kept after a phase (exemplars and validation)
 * @param validationShare share of each class's uploads held back for validation
 * @param gate when a new version becomes active on its own
 * @param seed master seed
 */
public record ClassifierSpec(
        String name,
        MethodConfig method,
        String preset,
        int imageSize,
        int channels,
        ModelConfig model,
        TrainConfig train,
        long storageBudgetBytes,
        double validationShare,
        Gate gate,
        long seed) {

    /**
     * @param maxOldAccuracyDrop largest drop, in points, of accuracy on the classes the active
     *     version knows, measured on their validation samples
     * @param minAccuracy least accuracy on all validation samples
     */
    public record Gate(double maxOldAccuracyDrop, double minAccuracy) {}

    /**
     * Methods a service can run: multi-class, needing no sample it deletes after a phase, keeping
     * every image they keep as a sample of the database (so that erasure reaches it; DER++'s
     * reservoir holds copies of images in the method's own state), and keeping the network's
     * structure (a version is loaded as one backbone and its heads; DER's network gains a
     * backbone per phase).
     */
    public static final List<String> METHODS = List.of(
            "lucir",
            "podnet",
            "icarl",
            "wa",
            "bic",
            "replay",
            "lwf-mc",
            "ewc",
            "mas",
            "finetune",
            "feature-extraction");

    /** Methods whose memory the storage budget sizes. */
    public static final List<String> REHEARSAL = List.of("lucir", "podnet", "icarl", "wa", "bic", "replay");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final Map<String, String> PRESETS = Map.of(
            "fmnist", """
                    {"imageSize": 28, "channels": 1, "model": {"arch": "small-cnn"},
                     "train": {"epochs": 3, "batchSize": 128, "lr": 0.05, "momentum": 0.9, "weightDecay": 5e-4,
                               "milestones": [], "augment": {"crop": false, "flip": false}}}""",
            "tin100-32", """
                    {"imageSize": 32, "channels": 3, "model": {"arch": "resnet32"},
                     "train": {"epochs": 8, "batchSize": 128, "lr": 0.1, "momentum": 0.9, "weightDecay": 5e-4,
                               "milestones": [5, 7], "gamma": 0.1, "augment": {"crop": true, "pad": 4, "flip": true}}}""");

    /** @return the size of one stored sample: its pixels at the model's input size */
    public long sampleBytes() {
        return (long) channels * imageSize * imageSize;
    }

    /**
     * Resolves a create request.
     *
     * @param req the request body
     * @return the spec with every default
     * @throws ApiException naming the field that is wrong
     */
    public static ClassifierSpec of(JsonNode req) {
        if (req == null || !req.isObject()) {
            throw ApiException.bad(null, "the body must be a JSON object");
        }
        known(
                req,
                "",
                List.of(
                        "name",
                        "method",
                        "preset",
                        "model",
                        "train",
                        "storageBudgetBytes",
                        "validationShare",
                        "gate",
                        "seed"));
        String name = req.path("name").asText("");
        if (!NAME.matcher(name).matches()) {
            throw ApiException.bad(
                    "name",
                    "name must be 1-64 letters, digits, '.', '-' or '_', starting with a letter " + "or digit; got '"
                            + name + "'");
        }
        String preset = req.path("preset").asText("fmnist");
        if (!PRESETS.containsKey(preset)) {
            throw ApiException.bad("preset", "unknown preset '" + preset + "'; known: " + PRESETS.keySet());
        }
        ObjectNode base = (ObjectNode) read(PRESETS.get(preset));
        JsonNode m = req.path("method");
        String methodName = m.isTextual() ? m.asText() : m.path("name").asText("lucir");
        if (!METHODS.contains(methodName)) {
            throw ApiException.bad(
                    "method.name",
                    "method '" + methodName + "' cannot run in the service; it runs "
                            + METHODS
                            + " (joint re-training needs every past sample, which the service deletes after a phase; "
                            + "multi-task methods need a task oracle; der adds a backbone per phase, which a version of one backbone "
                            + "cannot hold; der++ keeps copies of images in its own buffer, which an erasure by source could not "
                            + "reach)");
        }
        JsonNode params = m.path("params").isObject() ? m.path("params") : ConfigLoader.MAPPER.createObjectNode();
        if (params.has("memoryPerClass") || params.has("memoryBudget")) {
            throw ApiException.bad(
                    "method.params",
                    "the service sizes the memory from storageBudgetBytes; remove "
                            + "memoryPerClass and memoryBudget");
        }
        MethodConfig method = new MethodConfig(methodName, params);
        ObjectNode modelNode = ((ObjectNode) base.get("model")).deepCopy();
        if (req.has("model")) {
            if (!req.get("model").isObject()) {
                throw ApiException.bad("model", "model must be an object, e.g. {\"arch\": \"resnet32\"}");
            }
            modelNode.setAll((ObjectNode) req.get("model"));
        }
        int imageSize = modelNode.has("imageSize")
                ? modelNode.remove("imageSize").asInt()
                : base.get("imageSize").asInt();
        int channels = modelNode.has("channels")
                ? modelNode.remove("channels").asInt()
                : base.get("channels").asInt();
        if (imageSize < 8 || imageSize > 256) {
            throw ApiException.bad("model.imageSize", "model.imageSize must be within 8..256, got " + imageSize);
        }
        if (channels != 1 && channels != 3) {
            throw ApiException.bad("model.channels", "model.channels must be 1 or 3, got " + channels);
        }
        if (methodName.equals("lucir") || methodName.equals("podnet")) {
            // LUCIR's cosine classifier on features without the last ReLU (Hou et al. 2019);
            // PODNet's local similarity classifier on the same features (Douillard et al. 2020)
            if (!modelNode.has("classifier")) {
                modelNode.put("classifier", methodName.equals("lucir") ? "cosine" : "lsc");
            }
            if (!modelNode.has("lastRelu")) {
                modelNode.put("lastRelu", false);
            }
        }
        ModelConfig model = convert(modelNode, ModelConfig.class, "model");
        ObjectNode trainNode = ((ObjectNode) base.get("train")).deepCopy();
        if (req.has("train")) {
            if (!req.get("train").isObject()) {
                throw ApiException.bad("train", "train must be an object, e.g. {\"epochs\": 3}");
            }
            trainNode.setAll((ObjectNode) req.get("train"));
        }
        TrainConfig train = convert(trainNode, TrainConfig.class, "train");
        long budget = req.path("storageBudgetBytes").asLong(2000L * channels * imageSize * imageSize);
        long sample = (long) channels * imageSize * imageSize;
        if (!req.path("storageBudgetBytes").isMissingNode()
                && !req.get("storageBudgetBytes").canConvertToLong()) {
            throw ApiException.bad("storageBudgetBytes", "storageBudgetBytes must be a whole number of bytes");
        }
        if (budget < 10 * sample) {
            throw ApiException.bad(
                    "storageBudgetBytes",
                    "storageBudgetBytes " + budget + " holds fewer than 10 samples of " + sample + " bytes (" + channels
                            + "x" + imageSize + "x" + imageSize + ")");
        }
        double share = req.path("validationShare").asDouble(0.1);
        if (!(share >= 0 && share < 0.5)) {
            throw ApiException.bad("validationShare", "validationShare must be in [0, 0.5), got " + share);
        }
        JsonNode g = req.path("gate");
        known(g, "gate.", List.of("maxOldAccuracyDrop", "minAccuracy"));
        Gate gate = new Gate(
                g.path("maxOldAccuracyDrop").asDouble(10.0),
                g.path("minAccuracy").asDouble(0.0));
        if (gate.maxOldAccuracyDrop() < 0 || gate.minAccuracy() < 0 || gate.minAccuracy() > 100) {
            throw ApiException.bad("gate", "gate.maxOldAccuracyDrop must be >= 0 and gate.minAccuracy within 0..100");
        }
        ClassifierSpec spec = new ClassifierSpec(
                name,
                method,
                preset,
                imageSize,
                channels,
                model,
                train,
                budget,
                share,
                gate,
                req.path("seed").asLong(1993));
        try {
            Methods.create(spec.methodFor(10, 10)).close();
        } catch (RuntimeException e) {
            throw ApiException.bad("method.params", e.getMessage());
        }
        return spec;
    }

    /**
     * The method as a phase runs it.
     *
     * @param memory exemplars the storage budget leaves for training samples
     * @param seen classes after the phase
     * @return the method config, with the memory sized for rehearsal methods
     */
    public MethodConfig methodFor(long memory, int seen) {
        if (!REHEARSAL.contains(method.name())) {
            return method;
        }
        ObjectNode p = method.params().deepCopy();
        p.put("memoryBudget", Math.max(seen, memory));
        return new MethodConfig(method.name(), p);
    }

    /** @return the spec as stored */
    public String toJson() {
        try {
            return ConfigLoader.MAPPER.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param json a stored spec
     * @return the spec
     */
    public static ClassifierSpec fromJson(String json) {
        try {
            return ConfigLoader.MAPPER.readValue(json, ClassifierSpec.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a stored classifier spec does not read back: " + e.getMessage(), e);
        }
    }

    private static void known(JsonNode n, String prefix, List<String> keys) {
        if (!n.isObject()) {
            return;
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw ApiException.bad(prefix + k, "unknown field '" + prefix + k + "'; known: " + keys);
            }
        }
    }

    private static <T> T convert(JsonNode n, Class<T> type, String field) {
        try {
            return ConfigLoader.MAPPER.treeToValue(n, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            Throwable c = e;
            while (c.getCause() != null && c.getCause() != c) {
                c = c.getCause();
            }
            throw ApiException.bad(
                    field, field + ": " + c.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static JsonNode read(String json) {
        try {
            return ConfigLoader.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
