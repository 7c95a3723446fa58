package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeterminismTest {

    /** Everything each API answers at the start, for one seed. */
    private static List<JsonNode> answers(long seed) throws Exception {
        return answers(seed, Profile.DAY, Duration.ZERO);
    }

    /** Everything each API answers some simulated time after the start. */
    private static List<JsonNode> answers(long seed, Profile profile, Duration after) throws Exception {
        TestHttp.ManualTicker ticker = new TestHttp.ManualTicker();
        List<JsonNode> out = new ArrayList<>();
        try (Simulator sim = Simulator.start(new SimulatorOptions().seed(seed).size(200).profile(profile).clock(ticker.clock(1)))) {
            sim.clock().advance(after);
            SimulatedSource lg = sim.source(Fleet.LEEGALITY_SOURCE);
            out.add(TestHttp.get(lg.baseUrl() + "/api/v1/certificates/expiring-soon?days=3650",
                    "X-Auth-Token", lg.settings().get("token")).json());
            SimulatedSource sm = sim.source("smoxy-globex");
            JsonNode certs = TestHttp.get(sm.baseUrl() + "/api/organizations/org-2/certificates?itemsPerPage=100",
                    "X-API-TOKEN", sm.settings().get("token")).json();
            out.add(certs);
            String firstId = certs.get("member").get(0).get("id").asText();
            out.add(TestHttp.get(sm.baseUrl() + "/api/organizations/org-2/certificates/" + firstId + "/attempts",
                    "X-API-TOKEN", sm.settings().get("token")).json());
            SimulatedSource pbx = sim.source("pbx-mumbai");
            String token = TestHttp.post(pbx.baseUrl() + "/openapi/v1.0/get_token", "{\"username\":\""
                    + pbx.settings().get("clientId") + "\",\"password\":\"" + pbx.settings().get("clientSecret") + "\"}",
                    "User-Agent", "t").json().get("access_token").asText();
            out.add(TestHttp.get(pbx.baseUrl() + "/openapi/v1.0/certificate/list?page_size=100&access_token=" + token,
                    "User-Agent", "t").json());
        }
        return out;
    }

    @Test
    void theYearIsAsDeterministicMonthsIntoIt() throws Exception {
        Duration later = Duration.ofDays(137).plusHours(5);
        List<JsonNode> a = answers(11, Profile.YEAR, later);
        assertThat(a).isEqualTo(answers(11, Profile.YEAR, later));
        List<JsonNode> c = answers(12, Profile.YEAR, later);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).as("answer " + i).isNotEqualTo(c.get(i));
        }
        // months later the fleet has renewed: not the answers of the start
        assertThat(a.get(1)).isNotEqualTo(answers(11, Profile.YEAR, Duration.ZERO).get(1));
    }

    @Test
    void sameSeedSameAnswersOtherSeedOtherAnswers() throws Exception {
        List<JsonNode> a = answers(11);
        List<JsonNode> b = answers(11);
        List<JsonNode> c = answers(12);
        assertThat(a).isEqualTo(b);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i)).as("answer " + i).isNotEqualTo(c.get(i));
        }
    }
}
