package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.cil4j.CilException;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The exemplar memory's two sizes: one or the other, never both silently. */
class MemorySizeParamsTest {
    private static MethodConfig cfg(String method, String params) throws Exception {
        return MethodConfig.of(method, new ObjectMapper().readTree(params));
    }

    @ParameterizedTest
    @ValueSource(strings = {"icarl", "lucir", "replay", "wa", "bic", "der++", "podnet"})
    void bothSizesAreRefusedNamingBoth(String method) throws Exception {
        CilException e = assertThrows(
                CilException.class,
                () -> Methods.create(cfg(method, "{\"memoryPerClass\": 10, \"memoryBudget\": 2000}")));
        assertTrue(
                e.getMessage().contains("memoryPerClass") && e.getMessage().contains("memoryBudget"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"icarl", "lucir", "replay", "wa", "bic", "der++", "podnet"})
    void eitherSizeAloneIsTaken(String method) throws Exception {
        Methods.create(cfg(method, "{\"memoryBudget\": 2000}")).close();
        Methods.create(cfg(method, "{\"memoryPerClass\": 10}")).close();
        Methods.create(cfg(method, "{\"memoryPerClass\": 10, \"memoryBudget\": 0}"))
                .close();
        assertEquals(20, TestParams.defaults(Icarl.Params.class).memoryPerClass(), "the default");
    }
}
