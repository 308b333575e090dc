// Reference bot for the /api/messages benchmark: botbuilder JS CloudAdapter + TeamsActivityHandler, empty app id (auth off),
// answering "ping" with "pong" through the connector at the activity's serviceUrl — the same work OpsBot's ping command does.
//   node bench/echo-bot/index.mjs <port>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../tests/peers/package.json', import.meta.url));
const express = require('express');
const { CloudAdapter, ConfigurationBotFrameworkAuthentication, TeamsActivityHandler } = require('botbuilder');

const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
adapter.onTurnError = async (context, error) => { console.error(error); };

class EchoBot extends TeamsActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(context.activity.text === 'ping' ? 'pong' : `echo: ${context.activity.text}`);
      await next();
    });
  }
}
const bot = new EchoBot();

const app = express();
app.use(express.json());
app.post('/api/messages', (req, res) => adapter.process(req, res, (context) => bot.run(context)));
const port = Number(process.argv[2] ?? 3979);
app.listen(port, '127.0.0.1', () => console.log(`botbuilder echo bot listening on http://127.0.0.1:${port}/api/messages`));
