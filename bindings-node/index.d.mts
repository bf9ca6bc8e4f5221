// Types for `import ... from 'enjo'`: the declarations of the CommonJS entry, plus the default
// export that index.mjs gives (the Enjo class itself).
import { Enjo } from './index.js'

export * from './index.js'
export default Enjo
