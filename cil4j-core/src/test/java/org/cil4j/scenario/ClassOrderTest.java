package org.cil4j.scenario;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.CilException;
import org.junit.jupiter.api.Test;

class ClassOrderTest {
    @Test
    void reproducesProtocolVectors() {
        assertArrayEquals(
                new int[] {
                    68, 56, 78, 8, 23, 84, 90, 65, 74, 76, 40, 89, 3, 92, 55, 9, 26, 80, 43, 38, 58, 70, 77, 1, 85, 19,
                    17, 50, 28, 53, 13, 81, 45, 82, 6, 59, 83, 16, 15, 44, 91, 41, 72, 60, 79, 52, 20, 10, 31, 54, 37,
                    95, 14, 71, 96, 98, 97, 2, 64, 66, 42, 22, 35, 86, 24, 34, 87, 21, 99, 0, 88, 27, 18, 94, 11, 12,
                    47, 25, 30, 46, 62, 69, 36, 61, 7, 63, 75, 5, 32, 4, 51, 48, 73, 93, 39, 67, 29, 49, 57, 33
                },
                ClassOrder.shuffled(100, 1993));
        assertArrayEquals(new int[] {4, 2, 7, 6, 0, 3, 5, 8, 9, 1}, ClassOrder.shuffled(10, 1993));
    }

    /** Orders generated with numpy 2.4's legacy np.random.seed / np.random.shuffle. */
    @Test
    void matchesNumpyForOtherSeedsAndSizes() {
        assertArrayEquals(new int[] {2, 8, 4, 9, 1, 6, 7, 3, 0, 5}, ClassOrder.shuffled(10, 0));
        assertArrayEquals(
                new int[] {0, 17, 15, 1, 8, 5, 11, 3, 18, 16, 13, 2, 9, 19, 4, 12, 7, 10, 14, 6},
                ClassOrder.shuffled(20, 42));
        assertArrayEquals(
                new int[] {
                    27, 35, 40, 38, 2, 3, 48, 29, 46, 31, 32, 39, 21, 36, 19, 42, 49, 26, 22, 13, 41,
                    17, 45, 24, 23, 4, 33, 14, 30, 10, 28, 44, 34, 18, 20, 25, 6, 7, 47, 1, 16, 0,
                    15, 5, 11, 9, 8, 12, 43, 37
                },
                ClassOrder.shuffled(50, 1));
        assertArrayEquals(
                new int[] {
                    2, 1, 36, 21, 23, 17, 6, 24, 22, 35, 9, 27, 5, 16, 32, 8, 10, 11, 12, 30, 18, 14, 31, 33, 3, 0, 20,
                    13, 19, 15, 4, 34, 7, 29, 26, 25, 28
                },
                ClassOrder.shuffled(37, 123456789));
        // seeds at and above 2^31 exercise the unsigned handling of the 32-bit seed
        assertArrayEquals(
                new int[] {11, 8, 5, 9, 1, 10, 6, 0, 4, 7, 2, 3}, ClassOrder.shuffled(12, ClassOrder.MAX_SEED));
        assertArrayEquals(
                new int[] {0, 11, 6, 7, 8, 12, 2, 14, 13, 9, 5, 3, 1, 4, 10}, ClassOrder.shuffled(15, 2147483648L));
    }

    @Test
    void trivialSizes() {
        assertArrayEquals(new int[0], ClassOrder.shuffled(0, 1993));
        assertArrayEquals(new int[] {0}, ClassOrder.shuffled(1, 7));
    }

    @Test
    void shuffledIsAValidPermutationForLargeN() {
        int[] order = ClassOrder.shuffled(1000, 5);
        assertDoesNotThrow(() -> ClassOrder.validate(order, 1000));
    }

    @Test
    void rejectsBadSeedAndSize() {
        assertThrows(CilException.class, () -> ClassOrder.shuffled(10, -1));
        assertThrows(CilException.class, () -> ClassOrder.shuffled(10, ClassOrder.MAX_SEED + 1));
        assertThrows(IllegalArgumentException.class, () -> ClassOrder.shuffled(-1, 0));
    }

    @Test
    void validateAcceptsPermutations() {
        assertDoesNotThrow(() -> ClassOrder.validate(new int[] {2, 0, 1}, 3));
        assertDoesNotThrow(() -> ClassOrder.validate(new int[0], 0));
    }

    @Test
    void validateNamesTheProblem() {
        assertMessage(() -> ClassOrder.validate(null, 3), "missing");
        assertMessage(() -> ClassOrder.validate(new int[] {0, 1}, 3), "2 entries");
        assertMessage(() -> ClassOrder.validate(new int[] {0, 3, 1}, 3), "entry 3 at position 1");
        assertMessage(() -> ClassOrder.validate(new int[] {0, -1, 1}, 3), "entry -1");
        assertMessage(
                () -> ClassOrder.validate(new int[] {2, 0, 2}, 3),
                "class 2 appears twice in the class order, at positions 0 and 2");
    }

    private static void assertMessage(Runnable call, String fragment) {
        CilException e = assertThrows(CilException.class, call::run);
        assertTrue(
                e.getMessage().contains(fragment),
                () -> "message '" + e.getMessage() + "' should contain '" + fragment + "'");
    }
}
