package org.cil4j.method;

import java.util.LinkedHashMap;
import java.util.Map;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;

/**
 * What a distillation method keeps between phases: the old model (LwF's and DR's original
 * model), and for iCaRL and LUCIR the memory (absent for LwF-MC) and the class means for NME,
 * and small named matrices a method adds (BiC's bias layers), which the results also report.
 * Saved into and restored from a checkpoint as one.
 */
final class RehearsalState implements AutoCloseable {
    private ExemplarMemory memory;
    private IncrementalNet old;
    private float[][] means;
    private final Map<String, float[][]> rows = new LinkedHashMap<>();

    /** @return the memory, or null before the first phase or without rehearsal */
    ExemplarMemory memory() {
        return memory;
    }

    /** @param m the memory to keep */
    void memory(ExemplarMemory m) {
        memory = m;
    }

    /** @return the model as it was after the previous phase, or null in the first phase */
    IncrementalNet old() {
        return old;
    }

    /**
     * The old model of a phase after the first, which a method cannot train without: its absence
     * means the state between phases was lost (a resume that did not restore it), and training
     * on would silently be fine-tuning.
     *
     * @param ctx the phase being trained (not the first)
     * @return the model as it was after the previous phase
     */
    IncrementalNet requireOld(PhaseContext ctx) {
        if (old == null) {
            throw new IllegalStateException("phase " + (ctx.phase() + 1) + " has no old model: the method's state "
                    + "after phase " + ctx.phase() + " was not kept or not restored");
        }
        return old;
    }

    /** @return the class means, or null */
    float[][] means() {
        return means;
    }

    /** @param m the class means to keep */
    void means(float[][] m) {
        means = m;
    }

    /**
     * @param name a name
     * @return the rows kept under it, or null
     */
    float[][] rows(String name) {
        return rows.get(name);
    }

    /**
     * Keeps a small matrix, saved with the rest and reported under its name.
     *
     * @param name a name
     * @param r the rows, of equal length
     */
    void rows(String name, float[][] r) {
        rows.put(name, r);
    }

    /**
     * Replaces the old model by a frozen copy of the network.
     *
     * @param net the network after the phase
     */
    void snapshot(IncrementalNet net) {
        if (old != null) {
            old.close();
        }
        old = net.frozenCopy();
    }

    void save(StateWriter w) {
        if (memory != null) {
            memory.save(w, "memory.");
        }
        if (old != null) {
            w.putAll("old.", old.params().all());
        }
        if (means != null) {
            w.putRows("means", means);
        }
        rows.forEach((name, r) -> w.putRows("rows." + name, r));
    }

    /**
     * @param r the checkpoint
     * @param ctx the phase being resumed
     * @param fresh an empty memory to fill, or null without rehearsal
     */
    void load(StateReader r, PhaseContext ctx, ExemplarMemory fresh) {
        memory = fresh;
        if (memory != null) {
            memory.load(r, "memory.", (name, c) -> ctx.storedSamples(r, name, c, "exemplar"));
        }
        if (r.names().stream().anyMatch(n -> n.startsWith("old."))) {
            snapshot(ctx.net());
            r.copyInto("old.", old.params().all());
        }
        means = r.has("means") ? r.rows("means") : null;
        rows.clear();
        for (String n : r.names()) {
            if (n.startsWith("rows.")) {
                rows.put(n.substring("rows.".length()), r.rows(n));
            }
        }
    }

    Map<String, Object> report() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (memory != null) {
            out.putAll(memory.report());
        }
        out.putAll(rows);
        return out;
    }

    @Override
    public void close() {
        if (old != null) {
            old.close();
            old = null;
        }
    }
}
