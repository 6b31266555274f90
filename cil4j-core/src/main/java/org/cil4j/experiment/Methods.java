package org.cil4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.cil4j.CilException;
import org.cil4j.method.Bic;
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

/** The registry of methods: name, description, and how to build one from its parameters. */
public final class Methods {
    /**
     * A registered method.
     *
     * @param name registry name
     * @param description one line for {@code cil methods}
     * @param factory builds the method from its (validated) parameters
     */
    public record Entry(String name, String description, Function<JsonNode, Method> factory) {}

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        register(new Entry("finetune", "fine-tuning on new data only (lower bound; forgets)",
                p -> noParams("finetune", p, new FineTune())));
        register(new Entry("feature-extraction", "backbone frozen after the first phase, new heads only",
                p -> noParams("feature-extraction", p, new FeatureExtraction())));
        register(new Entry("joint", "re-train on all data seen so far (upper bound; not incremental)",
                p -> noParams("joint", p, new Joint())));
        register(new Entry("lwf-mc", "iCaRL's loss without exemplars (Rebuffi et al. 2017); variant facil, pycil or paper",
                p -> Icarl.lwfMc(bind("lwf-mc", p, Icarl.LwfMcParams.class))));
        register(new Entry("icarl", "iCaRL: herding exemplars, distillation (variant facil, pycil or paper), nearest mean of exemplars",
                p -> Icarl.icarl(bind("icarl", p, Icarl.Params.class))));
        register(new Entry("lucir", "LUCIR: cosine classifier, less-forget, margin ranking, balanced finetuning",
                p -> new Lucir(bind("lucir", p, Lucir.Params.class))));
        register(new Entry("lwf", "Learning without Forgetting (Li & Hoiem 2016): distill old heads on new images",
                p -> new Lwf(bind("lwf", p, LwfParams.class))));
        register(new Entry("replay", "exemplars + cross-entropy over all seen classes (the rehearsal baseline; PyCIL replay.py)",
                p -> new Replay(bind("replay", p, Replay.Params.class))));
        register(new Entry("wa", "Weight Aligning (Zhao et al. 2020): replay + KD, new classes' weight norms aligned to the old",
                p -> new Wa(bind("wa", p, Wa.Params.class))));
        register(new Entry("bic", "BiC (Wu et al. 2019): replay + KD, then a bias layer on the new classes' logits "
                + "trained on held-out exemplars (PyCIL bic.py)", p -> new Bic(bind("bic", p, Bic.Params.class))));
        register(new Entry("der++", "DER++ (Buzzega et al. 2020): a reservoir of images with their logits; CE on new "
                + "images, MSE to the stored logits, CE on buffered labels (Mammoth derpp.py)",
                p -> new Derpp(bind("der++", p, Derpp.Params.class))));
        register(new Entry("der", "DER (Yan et al. 2021): a new backbone per phase, old ones frozen, auxiliary classifier, "
                + "exemplars, weight aligning (PyCIL der.py; no pruning)",
                p -> new Der(bind("der", p, Replay.Params.class))));
        register(new Entry("podnet", "PODNet (Douillard et al. 2020): local similarity classifier, NCA, POD-spatial and "
                + "POD-flat distillation, balanced finetuning, exemplars (PyCIL podnet.py; needs model.classifier = lsc)",
                p -> new Podnet(bind("podnet", p, Podnet.Params.class))));
        register(new Entry("ewc", "Elastic Weight Consolidation (Kirkpatrick et al. 2017): Fisher-weighted penalty on the backbone",
                p -> new Ewc(bind("ewc", p, Ewc.Params.class))));
        register(new Entry("mas", "Memory Aware Synapses (Aljundi et al. 2018): output-sensitivity-weighted penalty on the backbone",
                p -> new Mas(bind("mas", p, Mas.Params.class))));
        register(new Entry("dr", "Distillation and Retrospection (Hou et al. 2018); switches distillation, retrospection",
                p -> new Dr("dr", bind("dr", p, DrParams.class))));
        register(new Entry("dr-d", "DR with distillation only (expert CNN, no reserved samples)",
                p -> new Dr("dr-d", bind("dr-d", preset(p, true, false), DrParams.class))));
        register(new Entry("dr-r", "DR with retrospection only (reserved samples, hard labels)",
                p -> new Dr("dr-r", bind("dr-r", preset(p, false, true), DrParams.class))));
        register(new Entry("dr-dr", "DR with distillation and retrospection (the released setting)",
                p -> new Dr("dr-dr", bind("dr-dr", preset(p, true, true), DrParams.class))));
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
     * Builds a method.
     *
     * @param cfg name and parameters
     * @return the method
     */
    public static Method create(MethodConfig cfg) {
        Entry e = ENTRIES.get(cfg.name());
        if (e == null) {
            throw new CilException("unknown method '" + cfg.name() + "'; known methods: " + ENTRIES.keySet());
        }
        return e.factory().apply(cfg.params());
    }

    /**
     * Binds a method's parameter node to its typed record, failing on unknown keys.
     *
     * @param method method name, for messages
     * @param params the node
     * @param type the record type
     * @param <T> the record type
     * @return the validated record
     */
    public static <T> T bind(String method, JsonNode params, Class<T> type) {
        var tree = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        try {
            return ConfigLoader.MAPPER.treeToValue(params == null ? tree : params, type);
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException ex) {
            throw new CilException("method.params: unknown key '" + ex.getPropertyName() + "' for method " + method
                    + "; known keys: " + ex.getKnownPropertyIds());
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            if (ex.getCause() instanceof CilException ce) {
                throw ce;
            }
            throw new CilException("method.params of " + method + ": " + ex.getOriginalMessage());
        }
    }

    /** DR's switches preset by a registry name; keys given in the params still win. */
    private static JsonNode preset(JsonNode p, boolean distillation, boolean retrospection) {
        var node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        node.put("distillation", distillation);
        node.put("retrospection", retrospection);
        if (p != null && p.isObject()) {
            node.setAll((com.fasterxml.jackson.databind.node.ObjectNode) p);
        } else if (p != null && !p.isNull()) {
            throw new CilException("method.params must be an object");
        }
        return node;
    }

    private static Method noParams(String name, JsonNode p, Method m) {
        if (p != null && p.size() > 0) {
            throw new CilException("method " + name + " takes no parameters, but method.params has " + p.fieldNames().next());
        }
        return m;
    }
}
