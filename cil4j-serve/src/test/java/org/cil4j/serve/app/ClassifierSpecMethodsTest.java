package org.cil4j.serve.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Methods;
import org.junit.jupiter.api.Test;

/** The service refuses DER, whose network gains a backbone per phase, by name and with the reason. */
class ClassifierSpecMethodsTest {
    @Test
    void derIsRegisteredButNotOfferedByTheService() throws Exception {
        assertTrue(Methods.all().stream().anyMatch(e -> e.name().equals("der")));
        assertFalse(ClassifierSpec.METHODS.contains("der"));
        ApiException e = assertThrows(
                ApiException.class,
                () -> ClassifierSpec.of(ConfigLoader.MAPPER.readTree("{\"name\": \"c\", \"method\": \"der\"}")));
        assertEquals(400, e.status());
        assertEquals("method.name", e.field());
        assertTrue(e.getMessage().contains("der adds a backbone per phase"), e.getMessage());
    }
}
