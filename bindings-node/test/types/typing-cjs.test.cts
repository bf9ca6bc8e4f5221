// The CommonJS view of the declarations: `require('enjo')` in a .cts file.
import enjo = require('enjo')

const client = new enjo.Enjo({ rateLimit: false })
const DefaultEnjo: typeof enjo.Enjo = enjo.default
async function run(): Promise<string | undefined> {
  try {
    return (await client.sendMessage('bot', 'text')).answers
  } catch (error: unknown) {
    if (error instanceof enjo.ServerError) return error.body
    throw error
  }
}
void run, DefaultEnjo
