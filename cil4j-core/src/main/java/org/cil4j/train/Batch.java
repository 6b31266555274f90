package org.cil4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.cil4j.scenario.Scenario;

/**
 * One training batch on the engine's side, living in a per-step manager that is closed after
 * the step.
 */
public final class Batch {
    private final NDManager manager;
    private final HostBatch host;
    private final NDArray x;
    private final NDArray y;
    private final Scenario scenario;
    private final int phase;
    private final Batch secondary;

    Batch(NDManager manager, HostBatch host, Shape imageShape, Scenario scenario, int phase, Batch secondary) {
        this.manager = manager;
        this.host = host;
        this.x = manager.create(
                FloatBuffer.wrap(host.pixels()),
                new Shape(host.size(), imageShape.get(0), imageShape.get(1), imageShape.get(2)));
        this.y = manager.create(host.labels()).toType(DataType.INT64, false);
        this.scenario = scenario;
        this.phase = phase;
        this.secondary = secondary;
    }

    /** @return the step's manager; arrays made from it are freed after the step */
    public NDManager manager() {
        return manager;
    }

    /** @return normalized images, (batch, C, H, W) */
    public NDArray x() {
        return x;
    }

    /** @return incremental class labels, int64 */
    public NDArray y() {
        return y;
    }

    /** @return labels on the Java side */
    public int[] labels() {
        return host.labels();
    }

    /** @return positions of the samples in the stage's dataset */
    public int[] indices() {
        return host.indices();
    }

    /** @return the number of samples */
    public int size() {
        return host.size();
    }

    /** @return the phase being trained */
    public int phase() {
        return phase;
    }

    /** @return the scenario (class ranges of the phases) */
    public Scenario scenario() {
        return scenario;
    }

    /**
     * @return the batch drawn alongside from the stage's secondary data (for example DR's
     *     reserved samples), or null when the stage has none
     */
    public Batch secondary() {
        return secondary;
    }

    /**
     * The additive mask of the multi-task setting: 0 on the classes of each sample's own task,
     * a large negative number elsewhere, over the first {@code classes} outputs.
     *
     * @param classes number of logits
     * @return (batch, classes) float mask
     */
    public NDArray taskMask(int classes) {
        return manager.create(scenario.taskMask(host.labels(), classes), new Shape(host.size(), classes));
    }
}
