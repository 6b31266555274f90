package org.cil4j.scenario;

import java.util.Arrays;
import org.cil4j.CilException;

/**
 * Class orders: the permutation of a dataset's classes that decides which classes arrive in
 * which phase.
 *
 * <p>Seeded orders follow the convention of iCaRL, LUCIR, PODNet and PyCIL, {@code
 * np.random.seed(s); order = np.arange(n); np.random.shuffle(order)}, reproduced bit for bit
 * so that published class orders (for example seed 1993 on CIFAR-100) can be used from Java.
 */
public final class ClassOrder {
    /** The largest seed numpy's legacy {@code np.random.seed} accepts, {@code 2^32 - 1}. */
    public static final long MAX_SEED = 0xFFFF_FFFFL;

    private ClassOrder() {}

    /**
     * The order numpy gives for {@code np.random.seed(seed); order = np.arange(n);
     * np.random.shuffle(order)}.
     *
     * <p>numpy's legacy {@code RandomState} seeds its MT19937 generator from an integer with
     * {@code init_genrand}; {@code shuffle} is a Fisher-Yates shuffle from the last position
     * down, drawing each index in {@code [0, i]} by masking 32-bit outputs to the smallest
     * covering power of two and rejecting values above {@code i}.
     *
     * @param n the number of classes, at least 0
     * @param seed the seed, in [0, {@link #MAX_SEED}] as numpy requires
     * @return a permutation of {@code 0 .. n-1}
     * @throws IllegalArgumentException if {@code n < 0}
     * @throws CilException if the seed is outside numpy's range
     */
    public static int[] shuffled(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (seed < 0 || seed > MAX_SEED) {
            throw new CilException(
                    "class-order seed " + seed + " is out of range: numpy's np.random.seed accepts 0 to " + MAX_SEED);
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        MersenneTwister random = new MersenneTwister((int) seed);
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) random.interval(i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /**
     * Checks that an order is a permutation of {@code 0 .. n-1}.
     *
     * @param order the class order, for example from a config file
     * @param n the number of classes of the dataset
     * @throws CilException naming the first problem: a missing order, a wrong length, an entry
     *     out of range, or a class listed twice
     */
    public static void validate(int[] order, int n) {
        if (order == null) {
            throw new CilException("class order is missing");
        }
        if (order.length != n) {
            throw new CilException("class order has "
                    + order.length
                    + " entries but the dataset has "
                    + n
                    + " classes; it must list each class exactly once");
        }
        int[] firstPosition = new int[n];
        Arrays.fill(firstPosition, -1);
        for (int p = 0; p < order.length; p++) {
            int c = order[p];
            if (c < 0 || c >= n) {
                throw new CilException(
                        "class order entry " + c + " at position " + p + " is out of range [0, " + n + ")");
            }
            if (firstPosition[c] >= 0) {
                throw new CilException("class "
                        + c
                        + " appears twice in the class order, at positions "
                        + firstPosition[c]
                        + " and "
                        + p);
            }
            firstPosition[c] = p;
        }
    }

    /** The 32-bit Mersenne Twister MT19937, seeded and drawn as numpy's legacy generator. */
    private static final class MersenneTwister {
        private static final int N = 624;
        private static final int M = 397;
        private static final int MATRIX_A = 0x9908b0df;
        private static final int UPPER_MASK = 0x80000000;
        private static final int LOWER_MASK = 0x7fffffff;

        private final int[] mt = new int[N];
        private int index;

        /** Seeds with {@code init_genrand(seed)} (numpy's {@code mt19937_seed}). */
        MersenneTwister(int seed) {
            mt[0] = seed;
            for (int i = 1; i < N; i++) {
                mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
            }
            index = N;
        }

        /** @return the next 32-bit output, as an unsigned value */
        long nextUnsigned() {
            if (index >= N) {
                for (int k = 0; k < N; k++) {
                    int y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
                    mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
                }
                index = 0;
            }
            int y = mt[index++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y & 0xFFFF_FFFFL;
        }

        /**
         * A uniform draw in {@code [0, max]} by masked rejection, as numpy's legacy {@code
         * rk_interval} / {@code random_interval} for {@code max <= 2^32 - 1}.
         *
         * @param max the largest value, at least 0
         * @return the draw
         */
        long interval(long max) {
            if (max == 0) {
                return 0;
            }
            long mask = max;
            mask |= mask >>> 1;
            mask |= mask >>> 2;
            mask |= mask >>> 4;
            mask |= mask >>> 8;
            mask |= mask >>> 16;
            long value;
            do {
                value = nextUnsigned() & mask;
            } while (value > max);
            return value;
        }
    }
}
