package org.cil4j.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.cil4j.CilException;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.method.Bic;
import org.cil4j.method.Default;
import org.cil4j.method.Der;
import org.cil4j.method.Derpp;
import org.cil4j.method.Dr;
import org.cil4j.method.DrParams;
import org.cil4j.method.Ewc;
import org.cil4j.method.FeatureExtraction;
import org.cil4j.method.FineTune;
import org.cil4j.method.Icarl;
import org.cil4j.method.Joint;
import org.cil4j.method.Lucir;
import org.cil4j.method.Lwf;
import org.cil4j.method.LwfParams;
import org.cil4j.method.Mas;
import org.cil4j.method.Method;
import org.cil4j.method.Podnet;
import org.cil4j.method.Replay;
import org.cil4j.method.Wa;

/**
 * The registry of methods: name, description, parameter record, and how to build one from its
 * parameters. A method's parameters are one record whose components carry their defaults
 * ({@link Default}); {@link #bind} reads a config's {@code method.params} into it, refusing
 * unknown keys, and {@link #resolvedParams} gives the parameters a run actually used, defaults
 * included, for results.json.
 */
public final class Methods {
    /** The parameters of a method that takes none. */
    public record NoParams() {}

    /**
     * A registered method.
     *
     * @param name registry name
     * @param description one line for {@code cil methods}
     * @param paramsType the method's parameter record ({@link NoParams} when it takes none)
     * @param preset fills registry-name presets into the given parameters before they are bound
     *     (DR's variants set its two switches); the given keys win
     * @param factory builds the method from its bound parameters
     */
    public record Entry(
            String name,
            String description,
            Class<? extends Record> paramsType,
            UnaryOperator<JsonNode> preset,
            Function<Record, Method> factory) {
        /**
         * An entry whose factory takes its own parameter type.
         *
         * @param name registry name
         * @param description one line
         * @param type the parameter record
         * @param factory builds the method
         * @param <P> the parameter record
         * @return the entry
         */
        @SuppressWarnings("unchecked")
        public static <P extends Record> Entry of(
                String name, String description, Class<P> type, Function<P, Method> factory) {
            return new Entry(name, description, type, UnaryOperator.identity(), p -> factory.apply((P) p));
        }

        /**
         * @param params a config's {@code method.params}, or null
         * @return the parameters bound, defaults applied and checked
         */
        public Record params(JsonNode params) {
            return bind(name, preset.apply(params), paramsType);
        }
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        register(Entry.of(
                "finetune",
                "fine-tuning on new data only (lower bound; forgets)",
                NoParams.class,
                p -> new FineTune()));
        register(Entry.of(
                "feature-extraction",
                "backbone frozen after the first phase, new heads only",
                NoParams.class,
                p -> new FeatureExtraction()));
        register(Entry.of(
                "joint",
                "re-train on all data seen so far (upper bound; not incremental)",
                NoParams.class,
                p -> new Joint()));
        register(Entry.of(
                "lwf-mc",
                "iCaRL's loss without exemplars (Rebuffi et al. 2017); variant facil, pycil or paper",
                Icarl.LwfMcParams.class,
                Icarl::lwfMc));
        register(Entry.of(
                "icarl",
                "iCaRL: herding exemplars, distillation (variant facil, pycil or paper), nearest mean of exemplars",
                Icarl.Params.class,
                Icarl::icarl));
        register(Entry.of(
                "lucir",
                "LUCIR: cosine classifier, less-forget, margin ranking, balanced finetuning",
                Lucir.Params.class,
                Lucir::new));
        register(Entry.of(
                "lwf",
                "Learning without Forgetting (Li & Hoiem 2016): distill old heads on new images",
                LwfParams.class,
                Lwf::new));
        register(Entry.of(
                "replay",
                "exemplars + cross-entropy over all seen classes (the rehearsal baseline; PyCIL replay.py)",
                Replay.Params.class,
                Replay::new));
        register(Entry.of(
                "wa",
                "Weight Aligning (Zhao et al. 2020): replay + KD, new classes' weight norms aligned to the old",
                Wa.Params.class,
                Wa::new));
        register(Entry.of(
                "bic",
                "BiC (Wu et al. 2019): replay + KD, then a bias layer on the new classes' logits "
                        + "trained on held-out exemplars (PyCIL bic.py)",
                Bic.Params.class,
                Bic::new));
        register(Entry.of(
                "der++",
                "DER++ (Buzzega et al. 2020): a reservoir of images with their logits; CE on new "
                        + "images, MSE to the stored logits, CE on buffered labels (Mammoth derpp.py)",
                Derpp.Params.class,
                Derpp::new));
        register(Entry.of(
                "der",
                "DER (Yan et al. 2021): a new backbone per phase, old ones frozen, auxiliary classifier, "
                        + "exemplars, weight aligning (PyCIL der.py; no pruning)",
                Replay.Params.class,
                Der::new));
        register(Entry.of(
                "podnet",
                "PODNet (Douillard et al. 2020): local similarity classifier, NCA, POD-spatial and "
                        + "POD-flat distillation, balanced finetuning, exemplars (PyCIL podnet.py; needs model.classifier = lsc)",
                Podnet.Params.class,
                Podnet::new));
        register(Entry.of(
                "ewc",
                "Elastic Weight Consolidation (Kirkpatrick et al. 2017): Fisher-weighted penalty on the backbone",
                Ewc.Params.class,
                Ewc::new));
        register(Entry.of(
                "mas",
                "Memory Aware Synapses (Aljundi et al. 2018): output-sensitivity-weighted penalty on the backbone",
                Mas.Params.class,
                Mas::new));
        register(dr(
                "dr",
                "Distillation and Retrospection (Hou et al. 2018); switches distillation, retrospection",
                null,
                null));
        register(dr("dr-d", "DR with distillation only (expert CNN, no reserved samples)", true, false));
        register(dr("dr-r", "DR with retrospection only (reserved samples, hard labels)", false, true));
        register(dr("dr-dr", "DR with distillation and retrospection (the released setting)", true, true));
    }

    private Methods() {}

    /**
     * Adds a method to the registry.
     *
     * @param e the entry
     */
    public static void register(Entry e) {
        ENTRIES.put(e.name(), e);
    }

    /** @return all registered methods, in registration order */
    public static List<Entry> all() {
        return new ArrayList<>(ENTRIES.values());
    }

    /**
     * @param name a registry name
     * @return its entry
     * @throws CilException naming the known methods when there is none
     */
    public static Entry entry(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) {
            throw new CilException("unknown method '" + name + "'; known methods: " + ENTRIES.keySet());
        }
        return e;
    }

    /**
     * Builds a method.
     *
     * @param cfg name and parameters
     * @return the method
     */
    public static Method create(MethodConfig cfg) {
        Entry e = entry(cfg.name());
        return e.factory().apply(e.params(cfg.params()));
    }

    /**
     * A parameter record with every default, to change in code with its withers
     * ({@code Methods.defaults(Lucir.Params.class).withLessForget(false)}). A parameter whose
     * default follows from another (LUCIR's {@code finetuneMilestones}) is resolved here: set it
     * again, or to null to resolve it anew, when changing the one it follows.
     *
     * @param type a method's parameter record
     * @param <T> its type
     * @return the record with its defaults
     */
    public static <T extends Record> T defaults(Class<T> type) {
        return bind(type.getSimpleName(), null, type);
    }

    /**
     * The parameters a method runs with: the config's, every default filled in.
     *
     * @param cfg name and parameters
     * @return one key per parameter of the method (none for a method without parameters)
     */
    public static ObjectNode resolvedParams(MethodConfig cfg) {
        return ConfigLoader.MAPPER.valueToTree(entry(cfg.name()).params(cfg.params()));
    }

    /**
     * Binds a method's parameter node to its record: refuses keys the record lacks, fills the
     * absent ones from their {@link Default}s, and lets the record's constructor check the values
     * and resolve the parameters whose defaults follow from others.
     *
     * @param method method name, for messages
     * @param params the node (null: all defaults)
     * @param type the record type
     * @param <T> the record type
     * @return the validated record
     */
    public static <T extends Record> T bind(String method, JsonNode params, Class<T> type) {
        ObjectNode given;
        if (params == null || params.isNull()) {
            given = JsonNodeFactory.instance.objectNode();
        } else if (params instanceof ObjectNode o) {
            given = o;
        } else {
            throw new CilException("method.params of " + method + " must be an object, got " + params);
        }
        RecordComponent[] components = type.getRecordComponents();
        Map<String, RecordComponent> byName = new LinkedHashMap<>();
        for (RecordComponent c : components) {
            byName.put(c.getName(), c);
        }
        for (Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (components.length == 0) {
                throw new CilException("method " + method + " takes no parameters, but method.params has " + key);
            }
            if (!byName.containsKey(key)) {
                throw new CilException("method.params: unknown key '" + key + "' for method " + method
                        + "; known keys: " + byName.keySet());
            }
        }
        if (byName.containsKey("memoryPerClass") && byName.containsKey("memoryBudget")) {
            JsonNode perClass = given.get("memoryPerClass");
            JsonNode budget = given.get("memoryBudget");
            ExemplarMemory.checkOneSize(
                    perClass != null && perClass.isNumber() ? perClass.asInt() : null,
                    budget != null && budget.isNumber() ? budget.asInt() : null);
        }
        ObjectNode tree = JsonNodeFactory.instance.objectNode();
        for (RecordComponent c : components) {
            JsonNode v = given.get(c.getName());
            if (v != null && !v.isNull()) {
                tree.set(c.getName(), v);
            } else if (c.getAnnotation(Default.class) != null) {
                tree.set(c.getName(), defaultValue(type, c));
            }
        }
        try {
            return ConfigLoader.MAPPER.treeToValue(tree, type);
        } catch (JsonProcessingException ex) {
            for (Throwable t = ex; t != null; t = t.getCause()) {
                if (t instanceof CilException ce) {
                    throw ce;
                }
            }
            throw new CilException("method.params of " + method + ": " + ex.getOriginalMessage());
        }
    }

    private static JsonNode defaultValue(Class<?> type, RecordComponent c) {
        String text = c.getAnnotation(Default.class).value();
        if (c.getType() == String.class) {
            return TextNode.valueOf(text);
        }
        try {
            return ConfigLoader.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    type.getName() + "." + c.getName() + ": @Default(\"" + text + "\") is not JSON", e);
        }
    }

    /** A DR variant: its registry name presets the two switches; keys given in the params still win. */
    private static Entry dr(String name, String description, Boolean distillation, Boolean retrospection) {
        UnaryOperator<JsonNode> preset = p -> {
            ObjectNode node = JsonNodeFactory.instance.objectNode();
            if (distillation != null) {
                node.put("distillation", distillation);
                node.put("retrospection", retrospection);
            }
            if (p instanceof ObjectNode o) {
                node.setAll(o);
            } else if (p != null && !p.isNull()) {
                throw new CilException("method.params must be an object");
            }
            return node;
        };
        return new Entry(name, description, DrParams.class, preset, p -> new Dr(name, (DrParams) p));
    }
}
