package org.cil4j.train;

/** Observes training; never changes its state. */
public interface TrainListener {
    /**
     * After each batch.
     *
     * @param phase phase index
     * @param stage stage name
     * @param epoch 1-based epoch
     * @param epochs epochs of the stage
     * @param batch 1-based batch index in the epoch
     * @param batches batches per epoch
     * @param loss the batch's total loss
     */
    default void onBatch(int phase, String stage, int epoch, int epochs, int batch, int batches, double loss) {}

    /**
     * After each epoch.
     *
     * @param record what the epoch did
     */
    default void onEpoch(EpochRecord record) {}

    /** A listener that does nothing. */
    TrainListener NONE = new TrainListener() {};
}
