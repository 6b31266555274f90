package org.cil4j.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.checkpoint.Manifest;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.method.Method;
import org.cil4j.method.PhaseContext;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.Sgd;
import org.cil4j.train.Stage;
import org.cil4j.train.Trainer;

/**
 * Writes the checkpoints of a run and replays a phase up to where a checkpoint stopped.
 *
 * <p>How a phase resumes. A checkpoint taken inside phase {@code p} holds the phase's start
 * state (the network before the phase's head was added, {@code start.ndlist}, and the method's
 * state between phases, {@code method.ndlist}), the weights each completed stage of the phase
 * left ({@code stage-<i>.ndlist}), and the interrupted stage's weights and momentum after its
 * last completed epoch ({@code current.ndlist}). On resume the experiment restores the start
 * state and runs the phase again as the method wrote it: code between stages (imprinting,
 * herding, class means) runs again on exactly the same weights, so it gives the same result; a
 * stage that was complete is not trained, its saved weights are copied into its network; the
 * interrupted stage starts at its saved epoch with its momentum. Shuffling and augmentation
 * depend only on (seed, phase, stage, epoch), so nothing random needs saving. A checkpoint taken
 * after phase {@code p} holds only the start state of phase {@code p + 1}.
 */
public final class Checkpointing implements PhaseContext.StageRunner {
    /** The network at the start of the phase. */
    public static final String START = "start.ndlist";
    /** The method's state between phases. */
    public static final String METHOD = "method.ndlist";
    /** The interrupted stage's weights and momentum. */
    public static final String CURRENT = "current.ndlist";

    /**
     * Where a resumed run continues inside a phase.
     *
     * @param phase the phase
     * @param stage the stage that was interrupted
     * @param epoch the epochs of that stage already done
     * @param ckpt the checkpoint
     */
    public record Plan(int phase, int stage, int epoch, CheckpointStore.Loaded ckpt) {
        /**
         * @param ckpt a checkpoint
         * @return where a phase continues from it, or null when it was taken between phases
         */
        public static Plan of(CheckpointStore.Loaded ckpt) {
            return ckpt.files().containsKey(CURRENT)
                    ? new Plan(
                            ckpt.manifest().phase(),
                            ckpt.manifest().stage(),
                            ckpt.manifest().epoch(),
                            ckpt)
                    : null;
        }
    }

    private final CheckpointStore store;
    private final int every;
    private final String configHash;
    private final JsonNode config;
    private final NDManager root;
    private final LongSupplier epochLines;
    private long seq;
    private Plan plan;

    private int phase;
    private byte[] start;
    private byte[] methodState;
    private List<Integer> heads;
    private JsonNode metrics;
    private final Map<Integer, byte[]> stageEnds = new TreeMap<>();

    /**
     * @param store where checkpoints go
     * @param every epochs between checkpoints inside a stage (0: none)
     * @param configHash recorded in each manifest
     * @param config recorded in each manifest
     * @param root manager for temporaries
     * @param epochLines lines of the epoch log so far, recorded in each manifest
     * @param nextSeq sequence number of the next checkpoint
     * @param plan where a resumed phase continues, or null
     */
    public Checkpointing(
            CheckpointStore store,
            int every,
            String configHash,
            JsonNode config,
            NDManager root,
            LongSupplier epochLines,
            long nextSeq,
            Plan plan) {
        this.store = store;
        this.every = every;
        this.configHash = configHash;
        this.config = config;
        this.root = root;
        this.epochLines = epochLines;
        this.seq = nextSeq;
        this.plan = plan;
    }

    /**
     * Records the start state of a phase (before its head is added).
     *
     * @param p the phase
     * @param net the network after the previous phase
     * @param method the method after the previous phase
     * @param metricsSoFar the results of the previous phases
     */
    public void beginPhase(int p, IncrementalNet net, Method method, JsonNode metricsSoFar) {
        phase = p;
        start = encodeNet(net);
        methodState = encodeMethod(method);
        heads = List.copyOf(net.headSizes());
        metrics = metricsSoFar;
        stageEnds.clear();
    }

    /**
     * Writes the checkpoint after a phase: the start state of the next one.
     *
     * @param p the phase just evaluated
     * @param net the network
     * @param method the method
     * @param metricsSoFar the results including phase {@code p}
     * @return the checkpoint's folder
     */
    public java.nio.file.Path phaseDone(int p, IncrementalNet net, Method method, JsonNode metricsSoFar) {
        if (plan != null) {
            throw new CilException(
                    "the checkpoint " + plan.ckpt().dir() + " stopped in stage " + plan.stage() + " of phase "
                            + (plan.phase() + 1) + " but the method ran fewer stages: it does not match this config");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(START, encodeNet(net));
        files.put(METHOD, encodeMethod(method));
        return write(p + 1, 0, 0, List.copyOf(net.headSizes()), metricsSoFar, files);
    }

    @Override
    public List<EpochRecord> fit(Trainer trainer, Stage stage, Scenario scenario, int p, int index) {
        Map<String, NDArray> momentum = null;
        int first = 0;
        StateReader current = null;
        if (plan != null && plan.phase() == p && index <= plan.stage()) {
            if (index < plan.stage()) {
                String name = stageFile(index);
                byte[] b = plan.ckpt().file(name);
                try (StateReader r = reader(name, b)) {
                    r.copyInto("net.", stage.net().params().all());
                }
                stageEnds.put(index, b);
                return List.of();
            }
            current = reader(CURRENT, plan.ckpt().file(CURRENT));
            current.copyInto("net.", stage.net().params().all());
            momentum = current.under("sgd.");
            first = plan.epoch();
        }
        List<EpochRecord> records;
        try {
            records = trainer.fit(stage, scenario, p, first, momentum, (done, sgd) -> {
                if (every > 0 && done % every == 0) {
                    writeProgress(index, done, stage.net(), sgd);
                }
            });
        } finally {
            if (current != null) {
                current.close();
                plan = null;
            }
        }
        try (StateWriter w = new StateWriter(root)) {
            stageEnds.put(index, w.putAll("net.", stage.net().params().all()).encode());
        }
        return records;
    }

    private void writeProgress(int index, int done, IncrementalNet net, Sgd sgd) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(START, start);
        files.put(METHOD, methodState);
        for (Map.Entry<Integer, byte[]> e : stageEnds.entrySet()) {
            if (e.getKey() < index) {
                files.put(stageFile(e.getKey()), e.getValue());
            }
        }
        try (StateWriter w = new StateWriter(root)) {
            w.putAll("net.", net.params().all()).putAll("sgd.", sgd.state());
            files.put(CURRENT, w.encode());
        }
        write(phase, index, done, heads, metrics, files);
    }

    private java.nio.file.Path write(
            int p, int stage, int epoch, List<Integer> h, JsonNode m, Map<String, byte[]> files) {
        Manifest man = new Manifest(
                CheckpointStore.FORMAT,
                seq++,
                configHash,
                config,
                p,
                stage,
                epoch,
                new ArrayList<>(h),
                epochLines.getAsLong(),
                m,
                null);
        return store.write(man, files);
    }

    private byte[] encodeNet(IncrementalNet net) {
        try (StateWriter w = new StateWriter(root)) {
            return w.putAll("net.", net.params().all()).encode();
        }
    }

    private byte[] encodeMethod(Method method) {
        try (StateWriter w = new StateWriter(root)) {
            method.state().save(w);
            return w.encode();
        }
    }

    StateReader reader(String name, byte[] bytes) {
        return new StateReader(
                plan == null ? name : plan.ckpt().dir().resolve(name).toString(), bytes, root);
    }

    static String stageFile(int index) {
        return "stage-" + index + ".ndlist";
    }
}
