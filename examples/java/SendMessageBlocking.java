// The same sample from Java, over the blocking API.
//
//   ENJO_API_TOKEN=... ENJO_BOT_ID=support-bot java -cp ... enjo.examples.SendMessageBlocking
package enjo.examples;

import ai.enjo.AuthenticationException;
import ai.enjo.Enjo;
import ai.enjo.EnjoException;
import ai.enjo.MessageResponse;
import ai.enjo.RateLimit;
import java.time.Duration;

public final class SendMessageBlocking {
    private SendMessageBlocking() {}

    public static void main(String[] args) {
        String botId = System.getenv().getOrDefault("ENJO_BOT_ID", "botId");
        try (Enjo client = Enjo.builder().timeout(Duration.ofSeconds(30)).rateLimit(RateLimit.documented()).build()) {
            MessageResponse reply = client.sendMessageBlocking(botId, "Request for ticket generation");
            System.out.println(reply.getAnswers());
            System.out.println("conversation: " + reply.getConversationId());
            MessageResponse next = client.sendMessageBlocking(botId, "Thanks!", reply.getConversationId());
            System.out.println("continued: " + next.getConversationId());
            if (reply.getTicket() != null) {
                System.out.println("ticket " + reply.getTicket().getCaseNumber() + " (" + reply.getTicket().getStatus() + ")");
            }
        } catch (AuthenticationException e) {
            System.err.println("check ENJO_API_TOKEN: " + e.getMessage());
            System.exit(1);
        } catch (EnjoException e) {
            System.err.println(e.getClass().getSimpleName() + " " + e.getKind() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
