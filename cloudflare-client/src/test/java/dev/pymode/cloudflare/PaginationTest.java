package dev.pymode.cloudflare;

import static dev.pymode.cloudflare.Envelopes.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class PaginationTest extends ClientFixture {

    @Test
    void followsPageNumbersOverThreePages() throws Exception {
        for (int page = 1; page <= 3; page++) {
            List<String> items = new ArrayList<>();
            int onPage = page < 3 ? 100 : 7;
            for (int i = 0; i < onPage; i++) {
                items.add("{\"id\":\"kv-" + page + "-" + i + "\",\"title\":\"t-" + page + "-" + i + "\"}");
            }
            server.enqueue(ok("[" + String.join(",", items) + "]", "{\"page\":" + page
                    + ",\"per_page\":100,\"count\":" + onPage + ",\"total_count\":207,\"total_pages\":3}"));
        }

        List<KvNamespace> all = client.listKvNamespaces(ACCOUNT);

        assertThat(all).hasSize(207);
        assertThat(all.get(0).id()).isEqualTo("kv-1-0");
        assertThat(all.get(206).id()).isEqualTo("kv-3-6");
        for (int page = 1; page <= 3; page++) {
            assertThat(take().getUrl().queryParameter("page")).isEqualTo(String.valueOf(page));
        }
        assertThat(server.getRequestCount()).isEqualTo(3);
    }

    @Test
    void followsTotalCountWhenTotalPagesIsAbsent() throws Exception {
        // D1's result_info has count/page/per_page/total_count only
        server.enqueue(ok(databases(1, 100), "{\"page\":1,\"per_page\":100,\"count\":100,\"total_count\":150}"));
        server.enqueue(ok(databases(101, 50), "{\"page\":2,\"per_page\":100,\"count\":50,\"total_count\":150}"));

        assertThat(client.listD1Databases(ACCOUNT, null)).hasSize(150);
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void followsCursors() throws Exception {
        server.enqueue(ok("{\"buckets\":[{\"name\":\"a-1\"}]}", "{\"cursor\":\"c1\",\"per_page\":100}"));
        server.enqueue(ok("{\"buckets\":[{\"name\":\"a-2\"}]}", "{\"cursor\":\"c2\",\"per_page\":100}"));
        server.enqueue(ok("{\"buckets\":[{\"name\":\"a\"}]}", "{\"per_page\":100}"));

        assertThat(client.findR2Bucket(ACCOUNT, "a")).isPresent();
        assertThat(target(take())).isEqualTo("/accounts/" + ACCOUNT + "/r2/buckets?name_contains=a&per_page=100");
        assertThat(take().getUrl().queryParameter("cursor")).isEqualTo("c1");
        assertThat(take().getUrl().queryParameter("cursor")).isEqualTo("c2");
    }

    @Test
    void stopsOnAShortPageWithoutResultInfo() {
        server.enqueue(ok("{\"items\":[{\"id\":\"v1\",\"number\":1}]}"));
        assertThat(client.listVersions(ACCOUNT, "w")).hasSize(1);
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void refusesEndlessLists() {
        server.setDispatcher(new mockwebserver3.Dispatcher() {
            @Override
            public mockwebserver3.MockResponse dispatch(mockwebserver3.RecordedRequest request) {
                return ok("[{\"id\":\"x\",\"title\":\"x\"}]", "{\"total_pages\":100000}");
            }
        });
        ApiTransport transport = new ApiTransport(new okhttp3.OkHttpClient(), server.url("/client/v4"), TOKEN,
                new com.fasterxml.jackson.databind.ObjectMapper(), RateLimiter.cloudflareDefaults(clock),
                RetryPolicy.DEFAULT, clock.sleeper(), () -> 0.0, java.time.Duration.ZERO, ApiObserver.NONE, null);
        ApiCall list = ApiCall.get("/accounts/{account}/storage/kv/namespaces", ACCOUNT);
        assertThatThrownBy(() -> Pagination.collect(transport, list, Pagination.Style.PAGES, 100,
                ApiResponse::result, 5))
                .isInstanceOf(CloudflareException.class)
                .hasMessage("GET storage/kv/namespaces: more than 5 pages; refusing to go on");
        assertThat(server.getRequestCount()).isEqualTo(5);
    }

    private static String databases(int from, int count) {
        List<String> items = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            items.add("{\"uuid\":\"u" + i + "\",\"name\":\"db" + i + "\"}");
        }
        return "[" + String.join(",", items) + "]";
    }
}
