package org.cil4j.util;

import java.util.SplittableRandom;

/**
 * Named, reproducible random streams derived from one master seed.
 *
 * <p>Every consumer of randomness (weight initialization, shuffling, augmentation, exemplar
 * choice) asks for its own stream by name and by the indices that locate it (phase, epoch,
 * ...). A stream depends only on the master seed and those keys, never on how many numbers
 * another stream consumed, so adding a feature does not change the data order of an
 * existing experiment.
 */
public final class Rng {
    private Rng() {}

    /**
     * Derives a seed from the master seed, a stream name and indices.
     *
     * @param master the experiment's master seed
     * @param stream the stream's name, e.g. "shuffle"
     * @param keys further indices, e.g. phase and epoch
     * @return a 64-bit seed
     */
    public static long seed(long master, String stream, long... keys) {
        long h = mix(master ^ 0x9E3779B97F4A7C15L);
        for (int i = 0; i < stream.length(); i++) {
            h = mix(h ^ stream.charAt(i));
        }
        for (long k : keys) {
            h = mix(h ^ mix(k + 0x632BE59BD9B4E019L));
        }
        return h;
    }

    /**
     * @param master master seed
     * @param stream stream name
     * @param keys locating indices
     * @return a generator for that stream
     */
    public static SplittableRandom stream(long master, String stream, long... keys) {
        return new SplittableRandom(seed(master, stream, keys));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Shuffles an array in place (Fisher-Yates).
     *
     * @param a the array
     * @param rnd the stream
     */
    public static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
